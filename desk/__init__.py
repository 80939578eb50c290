"""The customer-service desk (95198): find any case, see what happened and what was pushed, act; audited."""
