"""A personal model: a LoRA adapter trained on the writer's own samples (issue 10)."""
