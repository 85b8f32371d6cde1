-- tenancy_workflow: the issue trigger (C) and tracker.status_transition_allowed()
-- (for clients) describe the same workflow (one table, src/workflow.c).  As an admin, for every pair
-- of statuses, bring a new issue to the first and try the second.
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SELECT tracker.add_key('wf', 'HS256', 'workflow-test-secret-of-at-least-32-bytes');
SELECT tracker.create_tenant('workflow', 'Workflow', 'basic',
                             tenant_id => 'f0000000-0000-4000-8000-00000000000f') IS NOT NULL AS tenant;
SELECT tracker.add_user('f0000000-0000-4000-8000-00000000000f', 'boss', 'boss@wf.example', 'super_admin') IS NOT NULL AS boss;
CREATE ROLE regress_workflow IN ROLE tracker_user;
SELECT tracker.sign_token('{"sub": "boss", "tenant_id": "f0000000-0000-4000-8000-00000000000f"}', 'wf') AS tok \gset
SET ROLE regress_workflow;
SELECT tracker.authenticate(:'tok') IS NOT NULL AS authenticated;

CREATE TEMP TABLE outcome (from_status text, to_status text, trigger_allows boolean);
DO $$
DECLARE
	path jsonb := '{"open": [], "in_progress": ["in_progress"],
	                "in_review": ["in_progress", "in_review"], "closed": ["closed"]}';
	f text;
	t text;
	step text;
	k text;
	ok boolean;
BEGIN
	FOREACH f IN ARRAY ARRAY['open', 'in_progress', 'in_review', 'closed'] LOOP
		FOREACH t IN ARRAY ARRAY['open', 'in_progress', 'in_review', 'closed'] LOOP
			INSERT INTO issues (title) VALUES (f || ' -> ' || t) RETURNING key INTO k;
			FOR step IN SELECT jsonb_array_elements_text(path -> f) LOOP
				UPDATE issues SET status = step WHERE key = k;
			END LOOP;
			BEGIN
				UPDATE issues SET status = t WHERE key = k;
				ok := true;
			EXCEPTION WHEN check_violation THEN
				ok := false;
			END;
			INSERT INTO outcome VALUES (f, t, ok);
		END LOOP;
	END LOOP;
END
$$;

-- every pair, with what the trigger did and what the function says
SELECT from_status, to_status, trigger_allows,
       tracker.status_transition_allowed(from_status, to_status) AS function_allows
FROM outcome ORDER BY from_status, to_status;
SELECT count(*) FILTER (WHERE trigger_allows IS DISTINCT FROM
                        tracker.status_transition_allowed(from_status, to_status)) AS disagreements
FROM outcome;

RESET ROLE;
DROP TABLE outcome;
DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
DROP ROLE regress_workflow;
