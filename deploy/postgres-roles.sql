-- carbon-ledger: PostgreSQL database and roles.
--
-- Two roles:
--   carbon_ledger_owner  owns the schema `public` and every table in it; runs the migrations.
--   carbon_ledger_app    what the web app, the scheduler and the CLI connect as:
--                          log tables (log_entry, log_posting, log_tree_node, log_checkpoint,
--                          log_idempotency, doc_anchor)   SELECT, INSERT          (nothing else)
--                          log_head, account_balance      SELECT, INSERT, UPDATE
--                          alembic_version                SELECT
--                          every other table (mutable: users, sessions, config, vault, ...)
--                                                         SELECT, INSERT, UPDATE, DELETE
--                        It owns nothing, so it cannot drop or disable the append-only triggers.
--
-- Apply as a superuser. It is idempotent: run it before the first migration, and again whenever
-- you like. It creates the database if it does not exist.
--
--   psql -X -v ON_ERROR_STOP=1 -v dbname=carbon_ledger -f deploy/postgres-roles.sql
--        [-v owner=carbon_ledger_owner] [-v app=carbon_ledger_app]   (other role names)
--
-- Then give both roles a way to log in (passwords, or peer/cert rules in pg_hba.conf):
--   psql -c '\password carbon_ledger_owner'
--   psql -c '\password carbon_ledger_app'
-- run the migrations as the owner:
--   LEDGER_DATABASE_URL=postgresql+psycopg://carbon_ledger_owner@127.0.0.1:5432/carbon_ledger \
--     carbon-ledger init
-- and run the app as carbon_ledger_app
--   (LEDGER_DATABASE_URL=postgresql+psycopg://carbon_ledger_app@127.0.0.1:5432/carbon_ledger).
--
-- Migrations must run as the owner: privileges are set up for the tables the owner creates.
-- If an earlier deployment migrated as another role, first run, in the database,
--   REASSIGN OWNED BY that_role TO carbon_ledger_owner;
-- and then this script again.
--
-- How the log tables stay append-only for the app although new tables are writable by default:
-- the owner's default privileges give the app SELECT, INSERT, UPDATE, DELETE on every table the
-- owner creates, and an event trigger (ledger_guard_grants, run after every CREATE TABLE and
-- CREATE TRIGGER in the database) takes back, from every role but the table's owner,
--   UPDATE, DELETE, TRUNCATE  on a table that has a trigger calling ledger_reject_change()
--                             (how migrations make a table append-only, so a log table added
--                             by a later migration is covered with no change here);
--   DELETE, TRUNCATE          on the projections log_head and account_balance;
--   INSERT, UPDATE, DELETE, TRUNCATE  on alembic_version.
-- This script applies the same rule to the tables that already exist.
-- The triggers stop mistakes; these privileges stop the app role; neither stops a superuser or
-- the owner. Tamper evidence against them comes from signed checkpoints kept elsewhere.

\set ON_ERROR_STOP on

\if :{?dbname}
\else
DO $$ BEGIN
    RAISE EXCEPTION 'name the database: psql -v dbname=NAME -f deploy/postgres-roles.sql';
END $$;
\endif
\if :{?owner}
\else
\set owner carbon_ledger_owner
\endif
\if :{?app}
\else
\set app carbon_ledger_app
\endif

-- Roles (cluster-wide) and the database -------------------------------------------------------

SELECT format('CREATE ROLE %I LOGIN', :'owner')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'owner') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'app')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'app') \gexec
ALTER ROLE :"owner" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;
ALTER ROLE :"app" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS;

SELECT format('CREATE DATABASE %I', :'dbname')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'dbname') \gexec
REVOKE ALL ON DATABASE :"dbname" FROM PUBLIC;
GRANT CONNECT ON DATABASE :"dbname" TO :"owner", :"app";

\connect :"dbname"

BEGIN;

-- The schema belongs to the owner; nobody else creates objects in it ------------------------

ALTER SCHEMA public OWNER TO :"owner";
REVOKE ALL ON SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO :"app";

-- Tables the owner creates from now on: the app may use them ... ------------------------------

ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO :"app";
ALTER DEFAULT PRIVILEGES FOR ROLE :"owner" IN SCHEMA public
    GRANT USAGE, SELECT ON SEQUENCES TO :"app";

-- ... except what the guard takes back (owned by the superuser running this script) ----------

CREATE SCHEMA IF NOT EXISTS ledger_admin;
REVOKE ALL ON SCHEMA ledger_admin FROM PUBLIC;

CREATE OR REPLACE FUNCTION ledger_admin.restrict_grants(rel oid) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog AS $$
DECLARE
    tbl record;
    take text[];
    grantee oid;
BEGIN
    SELECT c.relname, c.relowner INTO tbl
      FROM pg_class c
     WHERE c.oid = rel AND c.relkind IN ('r', 'p') AND c.relnamespace = 'public'::regnamespace;
    IF NOT FOUND THEN
        RETURN;
    END IF;
    IF EXISTS (SELECT FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid
                WHERE t.tgrelid = rel AND p.proname = 'ledger_reject_change') THEN
        take := ARRAY['UPDATE', 'DELETE', 'TRUNCATE'];           -- a log table: append-only
    ELSIF tbl.relname IN ('log_head', 'account_balance') THEN
        take := ARRAY['DELETE', 'TRUNCATE'];                     -- projections: kept, not emptied
    ELSIF tbl.relname = 'alembic_version' THEN
        take := ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE']; -- only the owner migrates
    ELSE
        RETURN;
    END IF;
    FOR grantee IN
        SELECT DISTINCT a.grantee
          FROM pg_class c, aclexplode(c.relacl) a
         WHERE c.oid = rel AND a.grantee <> tbl.relowner AND a.privilege_type = ANY (take)
    LOOP
        EXECUTE format('REVOKE %s ON TABLE %s FROM %s', array_to_string(take, ', '),
                       rel::regclass,
                       CASE WHEN grantee = 0 THEN 'PUBLIC'
                            ELSE quote_ident(pg_get_userbyid(grantee)) END);
    END LOOP;
END $$;

CREATE OR REPLACE FUNCTION ledger_admin.guard_grants() RETURNS event_trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog AS $$
DECLARE
    cmd record;
BEGIN
    FOR cmd IN SELECT * FROM pg_event_trigger_ddl_commands() LOOP
        IF cmd.command_tag = 'CREATE TABLE' AND cmd.object_type = 'table' THEN
            PERFORM ledger_admin.restrict_grants(cmd.objid);
        ELSIF cmd.command_tag = 'CREATE TRIGGER' THEN
            PERFORM ledger_admin.restrict_grants(t.tgrelid) FROM pg_trigger t
              WHERE t.oid = cmd.objid;
        END IF;
    END LOOP;
END $$;

REVOKE ALL ON FUNCTION ledger_admin.restrict_grants(oid) FROM PUBLIC;
REVOKE ALL ON FUNCTION ledger_admin.guard_grants() FROM PUBLIC;

DROP EVENT TRIGGER IF EXISTS ledger_guard_grants;
CREATE EVENT TRIGGER ledger_guard_grants ON ddl_command_end
    WHEN TAG IN ('CREATE TABLE', 'CREATE TRIGGER')
    EXECUTE FUNCTION ledger_admin.guard_grants();

-- Tables that exist already (the script is re-run after migrations) --------------------------

GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"app";
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO :"app";
DO $$ BEGIN
    PERFORM ledger_admin.restrict_grants(c.oid)
       FROM pg_class c
      WHERE c.relnamespace = 'public'::regnamespace AND c.relkind IN ('r', 'p');
END $$;

COMMIT;
