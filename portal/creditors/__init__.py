"""Creditors: the agency's clients, and their settings for the portal."""
