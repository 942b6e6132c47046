"""Gunicorn settings read automatically from the working directory (`gunicorn wsgi:app`)."""

# Reminder-link tokens must never reach the access or error log.
logger_class = "portal.links.logfilter.RedactingGunicornLogger"
