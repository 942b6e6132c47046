"""Back-office fixtures borrowed from the agent tests."""

from tests.agent.conftest import agent_client, make_staff  # noqa: F401  (fixtures re-exported)
