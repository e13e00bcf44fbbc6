--
-- PostgreSQL database dump
--

--
-- Name: app; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app;

--
-- Name: SCHEMA app; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA app IS 'tenantkit platform functions used by row-level security policies';

--
-- Name: app_private; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA app_private;

--
-- Name: SCHEMA app_private; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON SCHEMA app_private IS 'tenantkit: owner-only; the tenant context key and the functions that check it';

--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA app_private;

--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

--
-- Name: current_tenant_id(); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.current_tenant_id() RETURNS uuid
    LANGUAGE plpgsql STABLE SECURITY DEFINER PARALLEL RESTRICTED
    SET search_path TO 'pg_catalog'
    AS $$
DECLARE
    tenant text := current_setting('app.tenant_id', true);
BEGIN
    -- plpgsql keeps the plan across calls: a third of an SQL function's cost.
    IF encode(app_private.hmac(convert_to(tenant || ':' || pg_backend_pid()::text, 'UTF8'),
                               (SELECT k.key FROM app_private.tenant_context_key k), 'sha256'), 'hex')
       = current_setting('app.tenant_sig', true) THEN
        RETURN NULLIF(tenant, '')::uuid;
    END IF;
    RETURN NULL;
END
$$;

--
-- Name: member_role(uuid); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.member_role(p_user uuid) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
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

--
-- Name: tenant_context_key; Type: TABLE; Schema: app_private; Owner: -
--

CREATE TABLE app_private.tenant_context_key (
    id boolean DEFAULT true NOT NULL,
    key bytea NOT NULL,
    CONSTRAINT tenant_context_key_id_check CHECK (id),
    CONSTRAINT tenant_context_key_key_check CHECK ((octet_length(key) >= 32))
);

--
-- Name: memberships; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.memberships (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memberships_role_check CHECK ((role = ANY (ARRAY['owner'::text, 'admin'::text, 'member'::text])))
);

ALTER TABLE ONLY public.memberships FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE memberships; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.memberships IS 'tenantkit:readonly identity owns memberships; tenant transactions only read them';

--
-- Name: password_credentials; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.password_credentials (
    user_id uuid NOT NULL,
    hash text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT password_credentials_hash_check CHECK ((hash ~~ '$argon2id$%'::text))
);

--
-- Name: projects; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.projects (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    created_by uuid NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT projects_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200)))
);

ALTER TABLE ONLY public.projects FORCE ROW LEVEL SECURITY;

--
-- Name: session_store_config; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.session_store_config (
    singleton boolean DEFAULT true NOT NULL,
    kind text NOT NULL,
    redis_key_prefix text NOT NULL,
    updated_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT session_store_config_check CHECK (((kind = 'redis'::text) = (redis_key_prefix <> ''::text))),
    CONSTRAINT session_store_config_kind_check CHECK ((kind = ANY (ARRAY['postgres'::text, 'redis'::text]))),
    CONSTRAINT session_store_config_singleton_check CHECK (singleton)
);

--
-- Name: sessions; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.sessions (
    token_hash bytea NOT NULL,
    user_id uuid,
    data bytea NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT sessions_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

--
-- Name: tenants; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.tenants (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    slug text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT tenants_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200))),
    CONSTRAINT tenants_slug_check CHECK ((slug ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'::text))
);

--
-- Name: users; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.users (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    disabled_at timestamp with time zone,
    CONSTRAINT users_email_check CHECK (((char_length(email) >= 3) AND (char_length(email) <= 254))),
    CONSTRAINT users_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200)))
);

--
-- Name: tenant_context_key tenant_context_key_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.tenant_context_key
    ADD CONSTRAINT tenant_context_key_pkey PRIMARY KEY (id);

--
-- Name: memberships memberships_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.memberships
    ADD CONSTRAINT memberships_pkey PRIMARY KEY (tenant_id, user_id);

--
-- Name: password_credentials password_credentials_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_credentials
    ADD CONSTRAINT password_credentials_pkey PRIMARY KEY (user_id);

--
-- Name: projects projects_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: projects projects_tenant_id_name_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_tenant_id_name_key UNIQUE (tenant_id, name);

--
-- Name: session_store_config session_store_config_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.session_store_config
    ADD CONSTRAINT session_store_config_pkey PRIMARY KEY (singleton);

--
-- Name: sessions sessions_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.sessions
    ADD CONSTRAINT sessions_pkey PRIMARY KEY (token_hash);

--
-- Name: tenants tenants_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenants
    ADD CONSTRAINT tenants_pkey PRIMARY KEY (id);

--
-- Name: tenants tenants_slug_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.tenants
    ADD CONSTRAINT tenants_slug_key UNIQUE (slug);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

--
-- Name: memberships_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX memberships_user_id_idx ON public.memberships USING btree (user_id);

--
-- Name: projects_tenant_id_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX projects_tenant_id_created_at_idx ON public.projects USING btree (tenant_id, created_at, id);

--
-- Name: sessions_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_expires_at_idx ON public.sessions USING btree (expires_at);

--
-- Name: sessions_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_user_id_idx ON public.sessions USING btree (user_id) WHERE (user_id IS NOT NULL);

--
-- Name: users_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower(email));

--
-- Name: memberships memberships_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.memberships
    ADD CONSTRAINT memberships_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenants(id) ON DELETE CASCADE;

--
-- Name: memberships memberships_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.memberships
    ADD CONSTRAINT memberships_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

--
-- Name: password_credentials password_credentials_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.password_credentials
    ADD CONSTRAINT password_credentials_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

--
-- Name: projects projects_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id);

--
-- Name: projects projects_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.projects
    ADD CONSTRAINT projects_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenants(id) ON DELETE CASCADE;

--
-- Name: memberships; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.memberships ENABLE ROW LEVEL SECURITY;

--
-- Name: memberships memberships_identity; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY memberships_identity ON public.memberships TO tenantkit_app USING (true) WITH CHECK (true);

--
-- Name: memberships memberships_tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY memberships_tenant ON public.memberships USING ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id)));

--
-- Name: projects; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.projects ENABLE ROW LEVEL SECURITY;

--
-- Name: projects projects_tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY projects_tenant ON public.projects USING ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id)));

--
-- Name: tenants; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.tenants ENABLE ROW LEVEL SECURITY;

--
-- Name: tenants tenants_current; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenants_current ON public.tenants FOR SELECT TO tenantkit_tenant USING ((id = ( SELECT app.current_tenant_id() AS current_tenant_id)));

--
-- Name: tenants tenants_identity; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY tenants_identity ON public.tenants TO tenantkit_app USING (true) WITH CHECK (true);

--
-- Name: users; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.users ENABLE ROW LEVEL SECURITY;

--
-- Name: users users_current_tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY users_current_tenant ON public.users FOR SELECT TO tenantkit_tenant USING ((id IN ( SELECT m.user_id
   FROM public.memberships m
  WHERE (m.tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id)))));

--
-- Name: users users_identity; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY users_identity ON public.users TO tenantkit_app USING (true) WITH CHECK (true);

--
-- Name: SCHEMA app; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA app TO tenantkit_app;
GRANT USAGE ON SCHEMA app TO tenantkit_tenant;

--
-- Name: SCHEMA public; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA public TO tenantkit_app;
GRANT USAGE ON SCHEMA public TO tenantkit_tenant;

--
-- Name: FUNCTION member_role(p_user uuid); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.member_role(p_user uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.member_role(p_user uuid) TO tenantkit_tenant;

--
-- Name: FUNCTION lo_close(integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_close(integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_creat(integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_creat(integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_create(oid); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_create(oid) FROM PUBLIC;

--
-- Name: FUNCTION lo_from_bytea(oid, bytea); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_from_bytea(oid, bytea) FROM PUBLIC;

--
-- Name: FUNCTION lo_get(oid); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_get(oid) FROM PUBLIC;

--
-- Name: FUNCTION lo_get(oid, bigint, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_get(oid, bigint, integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_lseek(integer, integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_lseek(integer, integer, integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_lseek64(integer, bigint, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_lseek64(integer, bigint, integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_open(oid, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_open(oid, integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_put(oid, bigint, bytea); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_put(oid, bigint, bytea) FROM PUBLIC;

--
-- Name: FUNCTION lo_tell(integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_tell(integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_tell64(integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_tell64(integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_truncate(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_truncate(integer, integer) FROM PUBLIC;

--
-- Name: FUNCTION lo_truncate64(integer, bigint); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_truncate64(integer, bigint) FROM PUBLIC;

--
-- Name: FUNCTION lo_unlink(oid); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lo_unlink(oid) FROM PUBLIC;

--
-- Name: FUNCTION loread(integer, integer); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.loread(integer, integer) FROM PUBLIC;

--
-- Name: FUNCTION lowrite(integer, bytea); Type: ACL; Schema: pg_catalog; Owner: -
--

REVOKE ALL ON FUNCTION pg_catalog.lowrite(integer, bytea) FROM PUBLIC;

--
-- Name: TABLE memberships; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.memberships TO tenantkit_app;
GRANT SELECT ON TABLE public.memberships TO tenantkit_tenant;

--
-- Name: TABLE password_credentials; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.password_credentials TO tenantkit_app;

--
-- Name: TABLE projects; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.projects TO tenantkit_tenant;

--
-- Name: TABLE session_store_config; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,UPDATE ON TABLE public.session_store_config TO tenantkit_app;

--
-- Name: TABLE sessions; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.sessions TO tenantkit_app;

--
-- Name: TABLE tenants; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.tenants TO tenantkit_app;
GRANT SELECT ON TABLE public.tenants TO tenantkit_tenant;

--
-- Name: TABLE users; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.users TO tenantkit_app;

--
-- Name: COLUMN users.id; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(id) ON TABLE public.users TO tenantkit_tenant;

--
-- Name: COLUMN users.email; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(email) ON TABLE public.users TO tenantkit_tenant;

--
-- Name: COLUMN users.name; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(name) ON TABLE public.users TO tenantkit_tenant;

--
-- Name: COLUMN users.disabled_at; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(disabled_at) ON TABLE public.users TO tenantkit_tenant;

--
-- PostgreSQL database dump complete
--
