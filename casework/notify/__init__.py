"""Who must hear of a change (the outbox, in the change's own transaction), and each person's inbox and preferences."""
