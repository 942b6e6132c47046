"""Instalment plans: policies, offers, proposals, agent decisions and automatic collection."""
