"""The Live conversation: state machine, barge-in, echo path, session recording (no Qt)."""
