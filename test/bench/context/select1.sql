-- baseline: the cheapest statement a client can send
SELECT 1;
