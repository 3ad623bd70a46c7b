"""Work done later, on a schedule kept in PostgreSQL: each kind of periodic work runs once
at a time across every process that runs work (serve processes, `jobgraph worker`)."""
