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
-- Name: river; Type: SCHEMA; Schema: -; Owner: -
--

CREATE SCHEMA river;

--
-- Name: pgcrypto; Type: EXTENSION; Schema: -; Owner: -
--

CREATE EXTENSION IF NOT EXISTS pgcrypto WITH SCHEMA app_private;

--
-- Name: EXTENSION pgcrypto; Type: COMMENT; Schema: -; Owner: -
--

COMMENT ON EXTENSION pgcrypto IS 'cryptographic functions';

--
-- Name: river_job_state; Type: TYPE; Schema: river; Owner: -
--

CREATE TYPE river.river_job_state AS ENUM (
    'available',
    'cancelled',
    'completed',
    'discarded',
    'pending',
    'retryable',
    'running',
    'scheduled'
);

--
-- Name: admin_access_role(uuid); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.admin_access_role(p_user uuid) RETURNS TABLE(role text, admin_access boolean)
    LANGUAGE plpgsql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog'
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

--
-- Name: api_key_role(uuid); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.api_key_role(p_key uuid) RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path TO 'pg_catalog'
    AS $$
DECLARE
    r text;
BEGIN
    SELECT k.role INTO r
    FROM public.api_keys k
    WHERE k.tenant_id = app.current_tenant_id() AND k.id = p_key
      AND (k.expires_at IS NULL OR k.expires_at > now());
    IF r IS NULL THEN
        RAISE EXCEPTION 'no such API key in the current tenant' USING ERRCODE = 'TK404';
    END IF;
    RETURN r;
END
$$;

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
-- Name: is_platform_admin(uuid); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.is_platform_admin(p_user uuid) RETURNS boolean
    LANGUAGE sql STABLE SECURITY DEFINER
    SET search_path TO 'pg_catalog'
    AS $$
    SELECT EXISTS (SELECT FROM public.platform_admins a JOIN public.users u ON u.id = a.user_id
                   WHERE a.user_id = p_user AND u.disabled_at IS NULL)
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
-- Name: notify_identity_change(); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.notify_identity_change() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
DECLARE
    prefix text := TG_ARGV[0];
    col    text := TG_ARGV[1];
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        PERFORM pg_notify('identity_changed', prefix || ':' || (to_jsonb(OLD) ->> col));
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        -- Identical notifications of one transaction are sent once.
        PERFORM pg_notify('identity_changed', prefix || ':' || (to_jsonb(NEW) ->> col));
    END IF;
    RETURN NULL;
END
$$;

--
-- Name: notify_identity_truncate(); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.notify_identity_truncate() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
    AS $$
BEGIN
    PERFORM pg_notify('identity_changed', '*');
    RETURN NULL;
END
$$;

--
-- Name: stamp_audit_event(); Type: FUNCTION; Schema: app; Owner: -
--

CREATE FUNCTION app.stamp_audit_event() RETURNS trigger
    LANGUAGE plpgsql
    SET search_path TO 'pg_catalog'
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

--
-- Name: river_job_state_in_bitmask(bit, river.river_job_state); Type: FUNCTION; Schema: river; Owner: -
--

CREATE FUNCTION river.river_job_state_in_bitmask(bitmask bit, state river.river_job_state) RETURNS boolean
    LANGUAGE sql IMMUTABLE
    AS $$
    SELECT CASE state
        WHEN 'available' THEN get_bit(bitmask, 7)
        WHEN 'cancelled' THEN get_bit(bitmask, 6)
        WHEN 'completed' THEN get_bit(bitmask, 5)
        WHEN 'discarded' THEN get_bit(bitmask, 4)
        WHEN 'pending'   THEN get_bit(bitmask, 3)
        WHEN 'retryable' THEN get_bit(bitmask, 2)
        WHEN 'running'   THEN get_bit(bitmask, 1)
        WHEN 'scheduled' THEN get_bit(bitmask, 0)
        ELSE 0
    END = 1;
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
-- Name: access_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.access_tokens (
    token_hash bytea NOT NULL,
    family_id uuid NOT NULL,
    user_id uuid NOT NULL,
    current_tenant uuid,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT access_tokens_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

--
-- Name: account_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.account_tokens (
    token_hash bytea NOT NULL,
    purpose text NOT NULL,
    user_id uuid NOT NULL,
    email text NOT NULL,
    password_hash text,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT account_tokens_check CHECK ((expires_at > created_at)),
    CONSTRAINT account_tokens_email_check CHECK (((char_length(email) >= 3) AND (char_length(email) <= 254))),
    CONSTRAINT account_tokens_password_hash_check CHECK ((password_hash ~~ '$argon2id$%'::text)),
    CONSTRAINT account_tokens_purpose_check CHECK ((purpose = ANY (ARRAY['verify_email'::text, 'password_reset'::text, 'email_change'::text]))),
    CONSTRAINT account_tokens_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

--
-- Name: api_keys; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.api_keys (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    name text NOT NULL,
    role text NOT NULL,
    secret_hash bytea NOT NULL,
    created_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    last_used_at timestamp with time zone,
    expires_at timestamp with time zone,
    CONSTRAINT api_keys_check CHECK ((expires_at > created_at)),
    CONSTRAINT api_keys_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 100))),
    CONSTRAINT api_keys_role_check CHECK ((role = ANY (ARRAY['admin'::text, 'member'::text, 'viewer'::text]))),
    CONSTRAINT api_keys_secret_hash_check CHECK ((octet_length(secret_hash) = 32))
);

ALTER TABLE ONLY public.api_keys FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE api_keys; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.api_keys IS 'tenantkit:readonly the session layer writes API keys; tenant transactions list them, without their hashes';

--
-- Name: audit_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.audit_events (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    actor uuid,
    action text NOT NULL,
    target text NOT NULL,
    detail jsonb DEFAULT '{}'::jsonb NOT NULL,
    request_id text DEFAULT ''::text NOT NULL,
    ip text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT clock_timestamp() NOT NULL,
    api_key_id uuid,
    CONSTRAINT audit_events_action_check CHECK (((action ~ '^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$'::text) AND (char_length(action) <= 100))),
    CONSTRAINT audit_events_detail_check CHECK ((octet_length((detail)::text) <= 4096)),
    CONSTRAINT audit_events_ip_check CHECK ((char_length(ip) <= 64)),
    CONSTRAINT audit_events_request_id_check CHECK ((char_length(request_id) <= 200)),
    CONSTRAINT audit_events_target_check CHECK ((char_length(target) <= 200))
);

ALTER TABLE ONLY public.audit_events FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE audit_events; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.audit_events IS 'tenantkit:appendonly the tenant audit log: tenants insert and read, never change';

--
-- Name: invitations; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.invitations (
    tenant_id uuid NOT NULL,
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    email text NOT NULL,
    role text NOT NULL,
    token_hash bytea NOT NULL,
    invited_by uuid,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    CONSTRAINT invitations_check CHECK ((expires_at > created_at)),
    CONSTRAINT invitations_email_check CHECK (((char_length(email) >= 3) AND (char_length(email) <= 254))),
    CONSTRAINT invitations_role_check CHECK ((role = ANY (ARRAY['owner'::text, 'admin'::text, 'member'::text, 'viewer'::text]))),
    CONSTRAINT invitations_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

ALTER TABLE ONLY public.invitations FORCE ROW LEVEL SECURITY;

--
-- Name: TABLE invitations; Type: COMMENT; Schema: public; Owner: -
--

COMMENT ON TABLE public.invitations IS 'tenantkit:readonly identity owns invitations; tenant transactions only read them';

--
-- Name: memberships; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.memberships (
    tenant_id uuid NOT NULL,
    user_id uuid NOT NULL,
    role text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT memberships_role_check CHECK ((role = ANY (ARRAY['owner'::text, 'admin'::text, 'member'::text, 'viewer'::text])))
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
-- Name: platform_admins; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.platform_admins (
    user_id uuid NOT NULL,
    granted_at timestamp with time zone DEFAULT now() NOT NULL
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
-- Name: refresh_tokens; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.refresh_tokens (
    token_hash bytea NOT NULL,
    family_id uuid NOT NULL,
    CONSTRAINT refresh_tokens_token_hash_check CHECK ((octet_length(token_hash) = 32))
);

--
-- Name: security_events; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.security_events (
    id uuid DEFAULT gen_random_uuid() NOT NULL,
    user_id uuid NOT NULL,
    kind text NOT NULL,
    ip text DEFAULT ''::text NOT NULL,
    user_agent text DEFAULT ''::text NOT NULL,
    request_id text DEFAULT ''::text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT security_events_ip_check CHECK ((char_length(ip) <= 64)),
    CONSTRAINT security_events_kind_check CHECK (((kind ~ '^[a-z]+(_[a-z]+)*$'::text) AND (char_length(kind) <= 64))),
    CONSTRAINT security_events_request_id_check CHECK ((char_length(request_id) <= 128)),
    CONSTRAINT security_events_user_agent_check CHECK ((char_length(user_agent) <= 256))
);

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
-- Name: token_families; Type: TABLE; Schema: public; Owner: -
--

CREATE TABLE public.token_families (
    id uuid NOT NULL,
    user_id uuid NOT NULL,
    current_tenant uuid,
    refresh_hash bytea NOT NULL,
    previous_hash bytea,
    access_hash bytea NOT NULL,
    rotated_at timestamp with time zone,
    created_at timestamp with time zone NOT NULL,
    last_seen_at timestamp with time zone NOT NULL,
    idle_expires_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    ip text DEFAULT ''::text NOT NULL,
    user_agent text DEFAULT ''::text NOT NULL,
    CONSTRAINT token_families_access_hash_check CHECK ((octet_length(access_hash) = 32)),
    CONSTRAINT token_families_check CHECK (((previous_hash IS NULL) = (rotated_at IS NULL))),
    CONSTRAINT token_families_check1 CHECK ((idle_expires_at <= expires_at)),
    CONSTRAINT token_families_previous_hash_check CHECK ((octet_length(previous_hash) = 32)),
    CONSTRAINT token_families_refresh_hash_check CHECK ((octet_length(refresh_hash) = 32))
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
    email_verified_at timestamp with time zone,
    CONSTRAINT users_email_check CHECK (((char_length(email) >= 3) AND (char_length(email) <= 254))),
    CONSTRAINT users_name_check CHECK (((char_length(name) >= 1) AND (char_length(name) <= 200)))
);

--
-- Name: river_job; Type: TABLE; Schema: river; Owner: -
--

CREATE TABLE river.river_job (
    id bigint NOT NULL,
    state river.river_job_state DEFAULT 'available'::river.river_job_state NOT NULL,
    attempt smallint DEFAULT 0 NOT NULL,
    max_attempts smallint DEFAULT 25 NOT NULL,
    attempted_at timestamp with time zone,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    finalized_at timestamp with time zone,
    scheduled_at timestamp with time zone DEFAULT now() NOT NULL,
    priority smallint DEFAULT 1 NOT NULL,
    args jsonb NOT NULL,
    attempted_by text[],
    errors jsonb[],
    kind text NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    queue text DEFAULT 'default'::text NOT NULL,
    tags character varying(255)[] DEFAULT '{}'::character varying[] NOT NULL,
    unique_key bytea,
    unique_states bit(8),
    CONSTRAINT finalized_or_finalized_at_null CHECK ((((finalized_at IS NULL) AND (state <> ALL (ARRAY['cancelled'::river.river_job_state, 'completed'::river.river_job_state, 'discarded'::river.river_job_state]))) OR ((finalized_at IS NOT NULL) AND (state = ANY (ARRAY['cancelled'::river.river_job_state, 'completed'::river.river_job_state, 'discarded'::river.river_job_state]))))),
    CONSTRAINT kind_length CHECK (((char_length(kind) > 0) AND (char_length(kind) < 128))),
    CONSTRAINT max_attempts_is_positive CHECK ((max_attempts > 0)),
    CONSTRAINT priority_in_range CHECK (((priority >= 1) AND (priority <= 4))),
    CONSTRAINT queue_length CHECK (((char_length(queue) > 0) AND (char_length(queue) < 128)))
);

--
-- Name: river_job_id_seq; Type: SEQUENCE; Schema: river; Owner: -
--

CREATE SEQUENCE river.river_job_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: river_job_id_seq; Type: SEQUENCE OWNED BY; Schema: river; Owner: -
--

ALTER SEQUENCE river.river_job_id_seq OWNED BY river.river_job.id;

--
-- Name: river_leader; Type: TABLE; Schema: river; Owner: -
--

CREATE UNLOGGED TABLE river.river_leader (
    elected_at timestamp with time zone NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    leader_id text NOT NULL,
    name text DEFAULT 'default'::text NOT NULL,
    CONSTRAINT leader_id_length CHECK (((char_length(leader_id) > 0) AND (char_length(leader_id) < 128))),
    CONSTRAINT name_length CHECK ((name = 'default'::text))
);

--
-- Name: river_migration; Type: TABLE; Schema: river; Owner: -
--

CREATE TABLE river.river_migration (
    line text NOT NULL,
    version bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    CONSTRAINT line_length CHECK (((char_length(line) > 0) AND (char_length(line) < 128))),
    CONSTRAINT version_gte_1 CHECK ((version >= 1))
);

--
-- Name: river_notification; Type: TABLE; Schema: river; Owner: -
--

CREATE TABLE river.river_notification (
    id bigint NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    payload text NOT NULL,
    topic text NOT NULL,
    CONSTRAINT topic_length CHECK (((length(topic) > 0) AND (length(topic) < 128)))
);

--
-- Name: river_notification_id_seq; Type: SEQUENCE; Schema: river; Owner: -
--

CREATE SEQUENCE river.river_notification_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;

--
-- Name: river_notification_id_seq; Type: SEQUENCE OWNED BY; Schema: river; Owner: -
--

ALTER SEQUENCE river.river_notification_id_seq OWNED BY river.river_notification.id;

--
-- Name: river_queue; Type: TABLE; Schema: river; Owner: -
--

CREATE TABLE river.river_queue (
    name text NOT NULL,
    created_at timestamp with time zone DEFAULT now() NOT NULL,
    metadata jsonb DEFAULT '{}'::jsonb NOT NULL,
    paused_at timestamp with time zone,
    updated_at timestamp with time zone DEFAULT CURRENT_TIMESTAMP NOT NULL
);

--
-- Name: river_job id; Type: DEFAULT; Schema: river; Owner: -
--

ALTER TABLE ONLY river.river_job ALTER COLUMN id SET DEFAULT nextval('river.river_job_id_seq'::regclass);

--
-- Name: river_notification id; Type: DEFAULT; Schema: river; Owner: -
--

ALTER TABLE ONLY river.river_notification ALTER COLUMN id SET DEFAULT nextval('river.river_notification_id_seq'::regclass);

--
-- Name: tenant_context_key tenant_context_key_pkey; Type: CONSTRAINT; Schema: app_private; Owner: -
--

ALTER TABLE ONLY app_private.tenant_context_key
    ADD CONSTRAINT tenant_context_key_pkey PRIMARY KEY (id);

--
-- Name: access_tokens access_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.access_tokens
    ADD CONSTRAINT access_tokens_pkey PRIMARY KEY (token_hash);

--
-- Name: account_tokens account_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT account_tokens_pkey PRIMARY KEY (token_hash);

--
-- Name: api_keys api_keys_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (tenant_id, id);

--
-- Name: invitations invitations_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT invitations_pkey PRIMARY KEY (tenant_id, id);

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
-- Name: platform_admins platform_admins_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.platform_admins
    ADD CONSTRAINT platform_admins_pkey PRIMARY KEY (user_id);

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
-- Name: refresh_tokens refresh_tokens_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_pkey PRIMARY KEY (token_hash);

--
-- Name: security_events security_events_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_events
    ADD CONSTRAINT security_events_pkey PRIMARY KEY (id);

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
-- Name: token_families token_families_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.token_families
    ADD CONSTRAINT token_families_pkey PRIMARY KEY (id);

--
-- Name: token_families token_families_refresh_hash_key; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.token_families
    ADD CONSTRAINT token_families_refresh_hash_key UNIQUE (refresh_hash);

--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);

--
-- Name: river_job river_job_pkey; Type: CONSTRAINT; Schema: river; Owner: -
--

ALTER TABLE ONLY river.river_job
    ADD CONSTRAINT river_job_pkey PRIMARY KEY (id);

--
-- Name: river_leader river_leader_pkey; Type: CONSTRAINT; Schema: river; Owner: -
--

ALTER TABLE ONLY river.river_leader
    ADD CONSTRAINT river_leader_pkey PRIMARY KEY (name);

--
-- Name: river_migration river_migration_pkey1; Type: CONSTRAINT; Schema: river; Owner: -
--

ALTER TABLE ONLY river.river_migration
    ADD CONSTRAINT river_migration_pkey1 PRIMARY KEY (line, version);

--
-- Name: river_notification river_notification_pkey; Type: CONSTRAINT; Schema: river; Owner: -
--

ALTER TABLE ONLY river.river_notification
    ADD CONSTRAINT river_notification_pkey PRIMARY KEY (id);

--
-- Name: river_queue river_queue_pkey; Type: CONSTRAINT; Schema: river; Owner: -
--

ALTER TABLE ONLY river.river_queue
    ADD CONSTRAINT river_queue_pkey PRIMARY KEY (name);

--
-- Name: access_tokens_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX access_tokens_expires_at_idx ON public.access_tokens USING btree (expires_at);

--
-- Name: access_tokens_family_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX access_tokens_family_id_idx ON public.access_tokens USING btree (family_id);

--
-- Name: account_tokens_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX account_tokens_expires_at_idx ON public.account_tokens USING btree (expires_at);

--
-- Name: account_tokens_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX account_tokens_user_id_idx ON public.account_tokens USING btree (user_id, purpose);

--
-- Name: api_keys_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX api_keys_id_idx ON public.api_keys USING btree (id);

--
-- Name: audit_events_tenant_id_action_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_events_tenant_id_action_idx ON public.audit_events USING btree (tenant_id, action, created_at DESC, id DESC);

--
-- Name: audit_events_tenant_id_actor_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_events_tenant_id_actor_idx ON public.audit_events USING btree (tenant_id, actor, created_at DESC, id DESC);

--
-- Name: audit_events_tenant_id_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX audit_events_tenant_id_created_at_idx ON public.audit_events USING btree (tenant_id, created_at DESC, id DESC);

--
-- Name: invitations_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invitations_expires_at_idx ON public.invitations USING btree (expires_at);

--
-- Name: invitations_tenant_id_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX invitations_tenant_id_email_key ON public.invitations USING btree (tenant_id, lower(email));

--
-- Name: invitations_token_hash_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX invitations_token_hash_idx ON public.invitations USING btree (token_hash);

--
-- Name: memberships_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX memberships_user_id_idx ON public.memberships USING btree (user_id);

--
-- Name: projects_tenant_id_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX projects_tenant_id_created_at_idx ON public.projects USING btree (tenant_id, created_at, id);

--
-- Name: refresh_tokens_family_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX refresh_tokens_family_id_idx ON public.refresh_tokens USING btree (family_id);

--
-- Name: security_events_created_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX security_events_created_at_idx ON public.security_events USING btree (created_at);

--
-- Name: security_events_user_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX security_events_user_idx ON public.security_events USING btree (user_id, created_at DESC, id DESC);

--
-- Name: sessions_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_expires_at_idx ON public.sessions USING btree (expires_at);

--
-- Name: sessions_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX sessions_user_id_idx ON public.sessions USING btree (user_id) WHERE (user_id IS NOT NULL);

--
-- Name: token_families_idle_expires_at_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX token_families_idle_expires_at_idx ON public.token_families USING btree (idle_expires_at);

--
-- Name: token_families_user_id_idx; Type: INDEX; Schema: public; Owner: -
--

CREATE INDEX token_families_user_id_idx ON public.token_families USING btree (user_id);

--
-- Name: users_email_key; Type: INDEX; Schema: public; Owner: -
--

CREATE UNIQUE INDEX users_email_key ON public.users USING btree (lower(email));

--
-- Name: river_job_args_index; Type: INDEX; Schema: river; Owner: -
--

CREATE INDEX river_job_args_index ON river.river_job USING gin (args);

--
-- Name: river_job_kind; Type: INDEX; Schema: river; Owner: -
--

CREATE INDEX river_job_kind ON river.river_job USING btree (kind);

--
-- Name: river_job_metadata_index; Type: INDEX; Schema: river; Owner: -
--

CREATE INDEX river_job_metadata_index ON river.river_job USING gin (metadata);

--
-- Name: river_job_prioritized_fetching_index; Type: INDEX; Schema: river; Owner: -
--

CREATE INDEX river_job_prioritized_fetching_index ON river.river_job USING btree (state, queue, priority, scheduled_at, id);

--
-- Name: river_job_state_and_finalized_at_index; Type: INDEX; Schema: river; Owner: -
--

CREATE INDEX river_job_state_and_finalized_at_index ON river.river_job USING btree (state, finalized_at) WHERE (finalized_at IS NOT NULL);

--
-- Name: river_job_unique_idx; Type: INDEX; Schema: river; Owner: -
--

CREATE UNIQUE INDEX river_job_unique_idx ON river.river_job USING btree (unique_key) WHERE ((unique_key IS NOT NULL) AND (unique_states IS NOT NULL) AND river.river_job_state_in_bitmask(unique_states, state));

--
-- Name: river_notification_created_at_idx; Type: INDEX; Schema: river; Owner: -
--

CREATE INDEX river_notification_created_at_idx ON river.river_notification USING btree (created_at);

--
-- Name: river_notification_topic_id_idx; Type: INDEX; Schema: river; Owner: -
--

CREATE INDEX river_notification_topic_id_idx ON river.river_notification USING btree (topic, id);

--
-- Name: audit_events audit_events_stamp; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER audit_events_stamp BEFORE INSERT ON public.audit_events FOR EACH ROW EXECUTE FUNCTION app.stamp_audit_event();

--
-- Name: memberships memberships_notify_identity_change; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER memberships_notify_identity_change AFTER INSERT OR DELETE OR UPDATE ON public.memberships FOR EACH ROW EXECUTE FUNCTION app.notify_identity_change('u', 'user_id');

--
-- Name: memberships memberships_notify_identity_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER memberships_notify_identity_truncate AFTER TRUNCATE ON public.memberships FOR EACH STATEMENT EXECUTE FUNCTION app.notify_identity_truncate();

--
-- Name: tenants tenants_notify_identity_change; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER tenants_notify_identity_change AFTER DELETE OR UPDATE ON public.tenants FOR EACH ROW EXECUTE FUNCTION app.notify_identity_change('t', 'id');

--
-- Name: tenants tenants_notify_identity_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER tenants_notify_identity_truncate AFTER TRUNCATE ON public.tenants FOR EACH STATEMENT EXECUTE FUNCTION app.notify_identity_truncate();

--
-- Name: users users_notify_identity_change; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_notify_identity_change AFTER DELETE OR UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION app.notify_identity_change('u', 'id');

--
-- Name: users users_notify_identity_truncate; Type: TRIGGER; Schema: public; Owner: -
--

CREATE TRIGGER users_notify_identity_truncate AFTER TRUNCATE ON public.users FOR EACH STATEMENT EXECUTE FUNCTION app.notify_identity_truncate();

--
-- Name: access_tokens access_tokens_family_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.access_tokens
    ADD CONSTRAINT access_tokens_family_id_fkey FOREIGN KEY (family_id) REFERENCES public.token_families(id) ON DELETE CASCADE;

--
-- Name: account_tokens account_tokens_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.account_tokens
    ADD CONSTRAINT account_tokens_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

--
-- Name: api_keys api_keys_created_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_created_by_fkey FOREIGN KEY (created_by) REFERENCES public.users(id) ON DELETE SET NULL;

--
-- Name: api_keys api_keys_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.api_keys
    ADD CONSTRAINT api_keys_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenants(id) ON DELETE CASCADE;

--
-- Name: audit_events audit_events_actor_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_actor_fkey FOREIGN KEY (actor) REFERENCES public.users(id) ON DELETE SET NULL;

--
-- Name: audit_events audit_events_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.audit_events
    ADD CONSTRAINT audit_events_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenants(id) ON DELETE CASCADE;

--
-- Name: invitations invitations_invited_by_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT invitations_invited_by_fkey FOREIGN KEY (invited_by) REFERENCES public.users(id) ON DELETE SET NULL;

--
-- Name: invitations invitations_tenant_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.invitations
    ADD CONSTRAINT invitations_tenant_id_fkey FOREIGN KEY (tenant_id) REFERENCES public.tenants(id) ON DELETE CASCADE;

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
-- Name: platform_admins platform_admins_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.platform_admins
    ADD CONSTRAINT platform_admins_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

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
-- Name: refresh_tokens refresh_tokens_family_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.refresh_tokens
    ADD CONSTRAINT refresh_tokens_family_id_fkey FOREIGN KEY (family_id) REFERENCES public.token_families(id) ON DELETE CASCADE;

--
-- Name: security_events security_events_user_id_fkey; Type: FK CONSTRAINT; Schema: public; Owner: -
--

ALTER TABLE ONLY public.security_events
    ADD CONSTRAINT security_events_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.users(id) ON DELETE CASCADE;

--
-- Name: api_keys; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.api_keys ENABLE ROW LEVEL SECURITY;

--
-- Name: api_keys api_keys_session; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY api_keys_session ON public.api_keys TO tenantkit_app USING (true) WITH CHECK (true);

--
-- Name: api_keys api_keys_tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY api_keys_tenant ON public.api_keys USING ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id)));

--
-- Name: audit_events; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.audit_events ENABLE ROW LEVEL SECURITY;

--
-- Name: audit_events audit_events_identity; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY audit_events_identity ON public.audit_events FOR INSERT TO tenantkit_app WITH CHECK ((action ~ '^(member|tenant|invitation|api_key)\.'::text));

--
-- Name: audit_events audit_events_tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY audit_events_tenant ON public.audit_events USING ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id)));

--
-- Name: invitations; Type: ROW SECURITY; Schema: public; Owner: -
--

ALTER TABLE public.invitations ENABLE ROW LEVEL SECURITY;

--
-- Name: invitations invitations_identity; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY invitations_identity ON public.invitations TO tenantkit_app USING (true) WITH CHECK (true);

--
-- Name: invitations invitations_tenant; Type: POLICY; Schema: public; Owner: -
--

CREATE POLICY invitations_tenant ON public.invitations USING ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id))) WITH CHECK ((tenant_id = ( SELECT app.current_tenant_id() AS current_tenant_id)));

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
-- Name: SCHEMA river; Type: ACL; Schema: -; Owner: -
--

GRANT USAGE ON SCHEMA river TO tenantkit_app;

--
-- Name: TYPE river_job_state; Type: ACL; Schema: river; Owner: -
--

REVOKE ALL ON TYPE river.river_job_state FROM PUBLIC;

--
-- Name: FUNCTION admin_access_role(p_user uuid); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.admin_access_role(p_user uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.admin_access_role(p_user uuid) TO tenantkit_tenant;

--
-- Name: FUNCTION api_key_role(p_key uuid); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.api_key_role(p_key uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.api_key_role(p_key uuid) TO tenantkit_tenant;

--
-- Name: FUNCTION is_platform_admin(p_user uuid); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.is_platform_admin(p_user uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.is_platform_admin(p_user uuid) TO tenantkit_tenant;

--
-- Name: FUNCTION member_role(p_user uuid); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.member_role(p_user uuid) FROM PUBLIC;
GRANT ALL ON FUNCTION app.member_role(p_user uuid) TO tenantkit_tenant;

--
-- Name: FUNCTION notify_identity_change(); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.notify_identity_change() FROM PUBLIC;

--
-- Name: FUNCTION notify_identity_truncate(); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.notify_identity_truncate() FROM PUBLIC;

--
-- Name: FUNCTION stamp_audit_event(); Type: ACL; Schema: app; Owner: -
--

REVOKE ALL ON FUNCTION app.stamp_audit_event() FROM PUBLIC;

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
-- Name: FUNCTION river_job_state_in_bitmask(bitmask bit, state river.river_job_state); Type: ACL; Schema: river; Owner: -
--

REVOKE ALL ON FUNCTION river.river_job_state_in_bitmask(bitmask bit, state river.river_job_state) FROM PUBLIC;
GRANT ALL ON FUNCTION river.river_job_state_in_bitmask(bitmask bit, state river.river_job_state) TO tenantkit_app;

--
-- Name: TABLE access_tokens; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.access_tokens TO tenantkit_app;

--
-- Name: TABLE account_tokens; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.account_tokens TO tenantkit_app;

--
-- Name: TABLE api_keys; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE ON TABLE public.api_keys TO tenantkit_app;

--
-- Name: COLUMN api_keys.tenant_id; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(tenant_id) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: COLUMN api_keys.id; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(id) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: COLUMN api_keys.name; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(name) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: COLUMN api_keys.role; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(role) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: COLUMN api_keys.created_by; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(created_by) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: COLUMN api_keys.created_at; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(created_at) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: COLUMN api_keys.last_used_at; Type: ACL; Schema: public; Owner: -
--

GRANT UPDATE(last_used_at) ON TABLE public.api_keys TO tenantkit_app;
GRANT SELECT(last_used_at) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: COLUMN api_keys.expires_at; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(expires_at) ON TABLE public.api_keys TO tenantkit_tenant;

--
-- Name: TABLE audit_events; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT ON TABLE public.audit_events TO tenantkit_tenant;
GRANT INSERT ON TABLE public.audit_events TO tenantkit_app;

--
-- Name: TABLE invitations; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.invitations TO tenantkit_app;

--
-- Name: COLUMN invitations.tenant_id; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(tenant_id) ON TABLE public.invitations TO tenantkit_tenant;

--
-- Name: COLUMN invitations.id; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(id) ON TABLE public.invitations TO tenantkit_tenant;

--
-- Name: COLUMN invitations.email; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(email) ON TABLE public.invitations TO tenantkit_tenant;

--
-- Name: COLUMN invitations.role; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(role) ON TABLE public.invitations TO tenantkit_tenant;

--
-- Name: COLUMN invitations.invited_by; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(invited_by) ON TABLE public.invitations TO tenantkit_tenant;

--
-- Name: COLUMN invitations.created_at; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(created_at) ON TABLE public.invitations TO tenantkit_tenant;

--
-- Name: COLUMN invitations.expires_at; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT(expires_at) ON TABLE public.invitations TO tenantkit_tenant;

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
-- Name: TABLE platform_admins; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE ON TABLE public.platform_admins TO tenantkit_app;

--
-- Name: TABLE projects; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.projects TO tenantkit_tenant;

--
-- Name: TABLE refresh_tokens; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.refresh_tokens TO tenantkit_app;

--
-- Name: TABLE security_events; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE ON TABLE public.security_events TO tenantkit_app;

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
-- Name: TABLE token_families; Type: ACL; Schema: public; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE public.token_families TO tenantkit_app;

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
-- Name: TABLE river_job; Type: ACL; Schema: river; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE river.river_job TO tenantkit_app;

--
-- Name: SEQUENCE river_job_id_seq; Type: ACL; Schema: river; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE river.river_job_id_seq TO tenantkit_app;

--
-- Name: TABLE river_leader; Type: ACL; Schema: river; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE river.river_leader TO tenantkit_app;

--
-- Name: TABLE river_notification; Type: ACL; Schema: river; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE river.river_notification TO tenantkit_app;

--
-- Name: SEQUENCE river_notification_id_seq; Type: ACL; Schema: river; Owner: -
--

GRANT SELECT,USAGE ON SEQUENCE river.river_notification_id_seq TO tenantkit_app;

--
-- Name: TABLE river_queue; Type: ACL; Schema: river; Owner: -
--

GRANT SELECT,INSERT,DELETE,UPDATE ON TABLE river.river_queue TO tenantkit_app;

--
-- PostgreSQL database dump complete
--
