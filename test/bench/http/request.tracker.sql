-- GET /issues?status=eq.open&order=created_at.desc&limit=50&offset=0, as PostgREST 13 sends it
-- (test/perl/PostgrestReplay.pm), every value a parameter: profile tracker_pool, db-pre-request "tracker"."http_pre_request"
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY;
select set_config('search_path', :path_tracker, true), set_config('role', :role, true), set_config('request.jwt.claims', :claims, true), set_config('request.method', :method, true), set_config('request.path', :rpath, true), set_config('request.headers', :headers, true), set_config('request.cookies', :cookies, true);
select "tracker"."http_pre_request"();
WITH pgrst_source AS ( SELECT "tracker_pool"."issues".* FROM "tracker_pool"."issues" WHERE  "tracker_pool"."issues"."status" = :status  ORDER BY "tracker_pool"."issues"."created_at" DESC  LIMIT :lim OFFSET :off ) SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t;
COMMIT;
