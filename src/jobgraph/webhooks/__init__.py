"""Webhooks: partner sites and employers register endpoints; what happens to postings,
applications, invitations and a site's settings is delivered to them, signed, through an
outbox of deliveries (never inside the request that caused it), at least once."""
