"""Cases and debtors: what is owed, to whom, and by whom."""
