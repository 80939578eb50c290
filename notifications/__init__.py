"""Push notifications: devices and subscriptions, the fan-out of a status change into notifications and their
outbox, the dispatch of that outbox to FCM, the inbox and the delivery log."""
