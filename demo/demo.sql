\echo demo
