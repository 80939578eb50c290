"""Push notifications: devices, subscriptions, and (later) the outbox, fan-out and dispatch."""
