package projects

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/tenantkit/tenantkit/internal/projects/projectsdb"
	"github.com/tenantkit/tenantkit/internal/tenancy"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// Sentinel errors; the HTTP layer maps them to problem responses.
var (
	ErrNotFound  = errors.New("project not found")
	ErrNameTaken = errors.New("project name taken")
)

// MaxList bounds how many projects one list call returns.
const MaxList = 500

// MaxNameLength is the longest project name, in characters.
const MaxNameLength = 200

// Project is one project of the current tenant.
type Project struct {
	ID        uuid.UUID
	Name      string
	CreatedBy uuid.UUID
	CreatedAt time.Time
}

// Service is the projects API. It is stateless today; a fork adds its
// dependencies (an event publisher, a clock) here.
type Service struct{}

// NewService returns a Service.
func NewService() *Service { return &Service{} }

// queries returns tx-bound queries and the tenant of the request.
func queries(ctx context.Context) (*projectsdb.Queries, tenancy.Scope, error) {
	scope, ok := tenancy.FromContext(ctx)
	if !ok {
		return nil, tenancy.Scope{}, tenancy.ErrNoTenant
	}
	return projectsdb.New(tenancy.DB(ctx)), scope, nil
}

// List returns up to limit projects (at most MaxList), oldest first.
func (s *Service) List(ctx context.Context, limit int) ([]Project, error) {
	q, scope, err := queries(ctx)
	if err != nil {
		return nil, err
	}
	if limit <= 0 || limit > MaxList {
		limit = MaxList
	}
	rows, err := q.ListProjects(ctx, projectsdb.ListProjectsParams{TenantID: scope.TenantID, MaxRows: int32(limit)})
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	out := make([]Project, len(rows))
	for i, r := range rows {
		out[i] = Project(r)
	}
	return out, nil
}

// Create adds a project named name, created by the calling user.
func (s *Service) Create(ctx context.Context, name string) (Project, error) {
	q, scope, err := queries(ctx)
	if err != nil {
		return Project{}, err
	}
	name, err = cleanName(name)
	if err != nil {
		return Project{}, err
	}
	r, err := q.CreateProject(ctx, projectsdb.CreateProjectParams{TenantID: scope.TenantID, Name: name, CreatedBy: scope.UserID})
	if err != nil {
		return Project{}, mapErr("create project", err)
	}
	return Project(r), nil
}

// Get returns one project.
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Project, error) {
	q, scope, err := queries(ctx)
	if err != nil {
		return Project{}, err
	}
	r, err := q.GetProject(ctx, projectsdb.GetProjectParams{TenantID: scope.TenantID, ID: id})
	if err != nil {
		return Project{}, mapErr("get project", err)
	}
	return Project(r), nil
}

// Rename changes a project's name.
func (s *Service) Rename(ctx context.Context, id uuid.UUID, name string) (Project, error) {
	q, scope, err := queries(ctx)
	if err != nil {
		return Project{}, err
	}
	name, err = cleanName(name)
	if err != nil {
		return Project{}, err
	}
	r, err := q.RenameProject(ctx, projectsdb.RenameProjectParams{TenantID: scope.TenantID, ID: id, Name: name})
	if err != nil {
		return Project{}, mapErr("rename project", err)
	}
	return Project(r), nil
}

// Delete removes a project.
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	q, scope, err := queries(ctx)
	if err != nil {
		return err
	}
	n, err := q.DeleteProject(ctx, projectsdb.DeleteProjectParams{TenantID: scope.TenantID, ID: id})
	if err != nil {
		return mapErr("delete project", err)
	}
	if n == 0 {
		return ErrNotFound
	}
	return nil
}

// cleanName trims name and checks it is 1..MaxNameLength visible
// characters, by the rule shared with user and tenant names
// (validation.CleanText).
func cleanName(name string) (string, error) {
	name, problem := validation.CleanText(name, MaxNameLength)
	if problem != "" {
		return "", validation.Errors{{Field: "name", Detail: problem}}
	}
	return name, nil
}

func mapErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "23505" && pgErr.ConstraintName == "projects_tenant_id_name_key" {
		return ErrNameTaken
	}
	return fmt.Errorf("%s: %w", op, err)
}
