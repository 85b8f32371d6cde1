-- the context function, in a session whose token was verified at its first use
SELECT tracker.current_tenant();
