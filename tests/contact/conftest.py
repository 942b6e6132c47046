"""Contact tests share the message tests' fixtures."""

from tests.messages.conftest import agent, mailbox, make_staff, sms_box  # noqa: F401  (fixtures re-exported)
