"""The Expert tab's Fine-tune page: a job form, the queue's jobs, live progress and results."""
