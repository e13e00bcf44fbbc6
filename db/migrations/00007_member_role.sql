-- app.member_role is identity's membership check for tenant transactions:
-- the role of a user in the tenant the transaction is scoped to, and an
-- error when they are not an enabled member of it: SQLSTATE TK401 for a
-- member whose account is disabled (the server then deletes their
-- sessions), TK404 otherwise.
--
-- Raising, not returning no row, is the point: the server sends BEGIN, the
-- tenant setting, this check and the request's first statement in one
-- pipeline (one round trip), and after an error Postgres skips the rest of
-- the pipeline, so nothing of a request that fails the check ever runs.
-- SECURITY INVOKER: it reads memberships and users as the tenant role,
-- under their RLS policies, which show the current tenant's only.

-- +goose Up
-- +goose StatementBegin
CREATE FUNCTION app.member_role(p_user uuid) RETURNS text
    LANGUAGE plpgsql STABLE SECURITY INVOKER
    SET search_path = pg_catalog
    AS $$
DECLARE
    r        text;
    disabled boolean;
BEGIN
    SELECT m.role, u.disabled_at IS NOT NULL INTO r, disabled
    FROM public.memberships m
    JOIN public.users u ON u.id = m.user_id
    WHERE m.tenant_id = app.current_tenant_id() AND m.user_id = p_user;
    IF disabled THEN
        RAISE EXCEPTION 'the user is disabled' USING ERRCODE = 'TK401';
    END IF;
    IF r IS NULL THEN
        RAISE EXCEPTION 'not a member of the current tenant' USING ERRCODE = 'TK404';
    END IF;
    RETURN r;
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app.member_role(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.member_role(uuid) TO tenantkit_tenant;

-- +goose Down
DROP FUNCTION app.member_role(uuid);
