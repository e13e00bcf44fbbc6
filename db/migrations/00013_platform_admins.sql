-- Platform administrators (issue 10): operators mark users as platform
-- admins (`server admins grant|revoke EMAIL`; nothing in the API can), and
-- an admin acts inside a tenant they are not a member of only by explicit
-- opt-in (tenancy.Manager.RunAsAdmin, the X-Admin-Reason header), which
-- writes a platform.admin_access event into that tenant's audit log in the
-- same transaction.
--
-- A platform admin is a user with a row in platform_admins. A table of its
-- own, not a column of users: users' rows stay what every identity query
-- reads, and the tenant role, which may read some of users' columns, is
-- granted nothing here. A tenant transaction learns about platform admins
-- only through the two functions below.

-- +goose Up
CREATE TABLE platform_admins (
    user_id    uuid        PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    granted_at timestamptz NOT NULL DEFAULT now()
);
GRANT SELECT, INSERT, DELETE ON platform_admins TO tenantkit_app;

-- app.is_platform_admin: whether the user is an enabled platform admin.
-- SECURITY DEFINER (the owner reads users unfiltered: a tenant transaction
-- sees only its own tenant's members), a pinned search_path, callable by
-- the tenant role alone, for stamp_audit_event below.
-- +goose StatementBegin
CREATE FUNCTION app.is_platform_admin(p_user uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path = pg_catalog
    AS $$
    SELECT EXISTS (SELECT FROM public.platform_admins a JOIN public.users u ON u.id = a.user_id
                   WHERE a.user_id = p_user AND u.disabled_at IS NULL)
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app.is_platform_admin(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.is_platform_admin(uuid) TO tenantkit_tenant;

-- app.admin_access_role is the membership check of an admin opt-in tenant
-- transaction, raising like app.member_role (00007) so that it can travel
-- in the same pipeline: for an enabled member of the transaction's tenant,
-- their role and false (a member acts as a member, and no admin access is
-- recorded); else, for an enabled platform admin and a tenant that exists,
-- 'admin' and true; TK401 for a disabled member or platform admin (the
-- server then deletes their sessions); TK404 for anyone else, exactly as
-- app.member_role answers them. SECURITY DEFINER: a platform admin is not
-- among the members the tenant role may read.
-- +goose StatementBegin
CREATE FUNCTION app.admin_access_role(p_user uuid) RETURNS TABLE (role text, admin_access boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path = pg_catalog
    AS $$
DECLARE
    tenant   uuid := app.current_tenant_id();
    r        text;
    admin    boolean;
    disabled boolean;
BEGIN
    SELECT m.role, a.user_id IS NOT NULL, u.disabled_at IS NOT NULL INTO r, admin, disabled
    FROM public.users u
    LEFT JOIN public.memberships m ON m.user_id = u.id AND m.tenant_id = tenant
    LEFT JOIN public.platform_admins a ON a.user_id = u.id
    WHERE u.id = p_user;
    IF disabled AND (r IS NOT NULL OR admin) THEN
        RAISE EXCEPTION 'the user is disabled' USING ERRCODE = 'TK401';
    END IF;
    IF r IS NOT NULL THEN
        RETURN QUERY SELECT r, false;
        RETURN;
    END IF;
    IF admin AND EXISTS (SELECT FROM public.tenants t WHERE t.id = tenant) THEN
        RETURN QUERY SELECT 'admin'::text, true;
        RETURN;
    END IF;
    RAISE EXCEPTION 'not a member of the current tenant' USING ERRCODE = 'TK404';
END
$$;
-- +goose StatementEnd
REVOKE ALL ON FUNCTION app.admin_access_role(uuid) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.admin_access_role(uuid) TO tenantkit_tenant;

-- The audit stamp (00010) also accepts, inside a tenant transaction, an
-- actor who is an enabled platform admin: the admin-access event, and what
-- the admin does in the tenant, name the admin as the actor.
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION app.stamp_audit_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog
    AS $$
BEGIN
    NEW.id := gen_random_uuid();
    NEW.created_at := clock_timestamp();
    IF NEW.actor IS NOT NULL AND pg_has_role(current_user, 'tenantkit_tenant', 'MEMBER')
       AND NOT EXISTS (SELECT 1 FROM public.memberships m WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.actor) THEN
        -- A separate statement: EXECUTE on a function is checked when its
        -- expression is prepared, whatever the AND before it decides, and
        -- only the tenant role may call is_platform_admin.
        IF NOT app.is_platform_admin(NEW.actor) THEN
            RAISE EXCEPTION 'the audit event''s actor is not a member of the tenant' USING ERRCODE = 'TK403';
        END IF;
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd

-- +goose Down
-- +goose StatementBegin
CREATE OR REPLACE FUNCTION app.stamp_audit_event() RETURNS trigger
    LANGUAGE plpgsql SECURITY INVOKER
    SET search_path = pg_catalog
    AS $$
BEGIN
    NEW.id := gen_random_uuid();
    NEW.created_at := clock_timestamp();
    IF NEW.actor IS NOT NULL AND pg_has_role(current_user, 'tenantkit_tenant', 'MEMBER')
       AND NOT EXISTS (SELECT 1 FROM public.memberships m WHERE m.tenant_id = NEW.tenant_id AND m.user_id = NEW.actor) THEN
        RAISE EXCEPTION 'the audit event''s actor is not a member of the tenant' USING ERRCODE = 'TK403';
    END IF;
    RETURN NEW;
END
$$;
-- +goose StatementEnd
DROP FUNCTION app.admin_access_role(uuid);
DROP FUNCTION app.is_platform_admin(uuid);
DROP TABLE platform_admins;
