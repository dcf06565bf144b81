"""Fine-tune jobs: spec, data, collator, runner process, queue (no Qt)."""
