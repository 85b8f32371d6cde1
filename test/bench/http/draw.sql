-- the actor of this request and the token it holds now, with what PostgREST
-- makes of it: the verified claims (its role added) and the request's
-- headers; the same statement for both variants, outside the request's
-- transaction (test/bench/http.sh reports the request without it too)
\set i random(1, :n_all_admin)
SELECT jsonb_set(convert_from(decode(rpad(translate(split_part(t.token, '.', 2), '-_', '+/'),
                                          (length(split_part(t.token, '.', 2)) + 3) / 4 * 4, '='), 'base64'), 'UTF8')::jsonb,
                 '{role}', '"tracker_user"')::text AS claims,
       jsonb_build_object('authorization', 'Bearer ' || t.token, 'accept', 'application/json',
                          'host', 'localhost:3000', 'user-agent', 'curl/7.88.1')::text AS headers
FROM bench.draw d JOIN bench.people p ON p.n = d.n JOIN bench.passes t ON t.n = d.n
WHERE d.class = 'all' AND d.grp = 'admin' AND d.i = :i
  AND t.gen = (extract(epoch FROM statement_timestamp())::bigint - :t0 + p.phase) / :life \gset
