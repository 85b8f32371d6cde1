-- authenticate a token this backend has already verified (transaction-local, as PostgREST does)
SELECT tracker.authenticate(:token, true) IS NOT NULL;
