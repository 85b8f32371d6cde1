-- tracker 1.0 -> 1.1
\echo Use "ALTER EXTENSION tracker UPDATE TO '1.1'" to load this file. \quit
