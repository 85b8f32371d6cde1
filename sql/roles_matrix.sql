--
-- roles_matrix: tracker.allowed(action), the roles matrix as SQL sees it,
-- for each tenant role and without a context; and the versioned data
-- schemas as an operator and a tenant user meet them.
--
CREATE EXTENSION tracker;
SET client_min_messages = warning;
SELECT tracker.add_key('rm', 'HS256', 'roles-matrix-test-secret-of-32-bytes-at-least');
SELECT tracker.create_tenant('matrix', 'Matrix', 'basic',
                             tenant_id => 'e0000000-0000-4000-8000-00000000000e') IS NOT NULL AS tenant;
SELECT tracker.add_user('e0000000-0000-4000-8000-00000000000e', 'sam', 'sam@m.example', 'super_admin') IS NOT NULL,
       tracker.add_user('e0000000-0000-4000-8000-00000000000e', 'ada', 'ada@m.example', 'admin') IS NOT NULL,
       tracker.add_user('e0000000-0000-4000-8000-00000000000e', 'uma', 'uma@m.example', 'user') IS NOT NULL;
CREATE ROLE regress_matrix IN ROLE tracker_user;
CREATE ROLE regress_matrix_op IN ROLE tracker_operator;
SELECT tracker.sign_token('{"sub": "sam", "tenant_id": "e0000000-0000-4000-8000-00000000000e"}', 'rm') AS sam,
       tracker.sign_token('{"sub": "ada", "tenant_id": "e0000000-0000-4000-8000-00000000000e"}', 'rm') AS ada,
       tracker.sign_token('{"sub": "uma", "tenant_id": "e0000000-0000-4000-8000-00000000000e"}', 'rm') AS uma \gset
CREATE TEMP TABLE actions (action text);
INSERT INTO actions VALUES ('see every issue'), ('change any issue'),
	('assign issues to others and to teams'), ('reopen a closed issue'), ('delete issues'),
	('write internal comments'), ('read internal comments'), ('delete any comment'),
	('manage teams'), ('manage team members'), ('manage users');
GRANT SELECT ON actions TO regress_matrix;
SET ROLE regress_matrix;

-- without a context, nothing is allowed
SELECT count(*) FILTER (WHERE tracker.allowed(action)) AS allowed_without_context FROM actions;

-- the matrix, one role at a time
BEGIN;
SELECT tracker.authenticate(:'uma', true) IS NOT NULL AS uma;
CREATE TEMP TABLE matrix AS SELECT action, tracker.allowed(action) AS user_may FROM actions;
COMMIT;
SELECT tracker.authenticate(:'ada') IS NOT NULL AS ada;
ALTER TABLE matrix ADD COLUMN admin_may boolean;
UPDATE matrix SET admin_may = tracker.allowed(action);
SELECT tracker.authenticate(:'sam') IS NOT NULL AS sam;
ALTER TABLE matrix ADD COLUMN super_admin_may boolean;
UPDATE matrix SET super_admin_may = tracker.allowed(action);
SELECT * FROM matrix ORDER BY action COLLATE "C";

-- an action that is not in the matrix is an error, with or without a context
SELECT tracker.allowed('fly');
\echo :LAST_ERROR_SQLSTATE
RESET tracker.token;
SELECT tracker.allowed('');
\echo :LAST_ERROR_SQLSTATE
SELECT tracker.allowed(NULL) AS null_action;

-- the same words in the triggers' refusals
SELECT tracker.authenticate(:'uma') IS NOT NULL AS uma;
DELETE FROM issues;
SELECT tracker.create_team('Nope');
SELECT tracker.set_user_role(id, 'admin') FROM users WHERE subject = 'uma';

-- the versioned data schemas: the pool is at the current version
RESET ROLE;
SELECT schema_name, version = tracker._data_schema_version() AS current, last_error
FROM tracker.data_schemas ORDER BY schema_name;
-- operators read the registry; tenant users do not
SET ROLE regress_matrix_op;
SELECT count(*) AS schemas_an_operator_sees FROM tracker.data_schemas;
-- upgrading the data schemas alters tables the extension's owner owns:
-- superusers only, like ALTER EXTENSION
CALL tracker.upgrade_data_schemas();
SET ROLE regress_matrix;
SELECT count(*) FROM tracker.data_schemas;
RESET ROLE;
-- nothing to do is no error
CALL tracker.upgrade_data_schemas();
-- an existing schema is taken only when it is a data schema at the current version
SELECT tracker._create_data_schema('tracker_pool') AS created;
UPDATE tracker.data_schemas SET version = version - 1 WHERE schema_name = 'tracker_pool';
\set SHOW_CONTEXT never
SELECT tracker.create_tenant('matrix-two', 'Matrix two', 'standard');
\echo :LAST_ERROR_SQLSTATE
CALL tracker.upgrade_data_schemas();
SELECT tracker.create_tenant('matrix-two', 'Matrix two', 'standard') IS NOT NULL AS created_once_upgraded;
CREATE SCHEMA regress_squatter;
SELECT tracker._create_data_schema('regress_squatter');
\echo :LAST_ERROR_SQLSTATE
DROP SCHEMA regress_squatter;

DROP TABLE matrix, actions;
DROP SCHEMA tracker_pool CASCADE;
DROP EXTENSION tracker;
RESET client_min_messages;
DROP ROLE regress_matrix;
DROP ROLE regress_matrix_op;
