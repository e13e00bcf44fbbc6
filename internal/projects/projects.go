package projects

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	httpapi "github.com/tenantkit/tenantkit/internal/http"
	"github.com/tenantkit/tenantkit/internal/problem"
	"github.com/tenantkit/tenantkit/internal/projects/internal/projectsdb"
	"github.com/tenantkit/tenantkit/internal/tenancy"
	"github.com/tenantkit/tenantkit/internal/validation"
)

// Errors of the component, each with the problem response it is answered with.
var (
	ErrNotFound  = problem.New(http.StatusNotFound, "not_found", "No such project.")
	ErrInUse     = problem.New(http.StatusConflict, "project_in_use", "Other records refer to this project; delete or change them first.")
	ErrNameTaken = problem.New(http.StatusConflict, "name_taken", "A project with this name already exists in this tenant.")
)

// Project is one project of the current tenant, as the API shows it.
type Project struct {
	ID        uuid.UUID `json:"id"`
	Name      string    `json:"name"`
	CreatedBy uuid.UUID `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// key is the project's position in the list order.
func (p Project) key() httpapi.Key { return httpapi.Key{CreatedAt: p.CreatedAt, ID: p.ID} }

// Input is a new project.
type Input struct {
	Name string `json:"name"`
}

// Patch changes a project; a nil field is left as it is.
type Patch struct {
	Name *string `json:"name"`
}

// Service is the projects API. It holds no connection: its queries run on
// the request's tenant transaction. A fork adds its dependencies (a clock,
// an event publisher) here.
type Service struct{}

// NewService returns a Service.
func NewService() *Service { return &Service{} }

// queries checks that the caller's role holds p (tenancy.Require: 403
// forbidden if not) and returns tx-bound queries and the tenant of the
// request. Each method calls it first, so nothing runs unpermitted.
func queries(ctx context.Context, p tenancy.Permission) (*projectsdb.Queries, tenancy.Scope, error) {
	scope, ok := tenancy.FromContext(ctx)
	if !ok {
		return nil, tenancy.Scope{}, tenancy.ErrNoTenant
	}
	if err := tenancy.Require(ctx, p); err != nil {
		return nil, tenancy.Scope{}, err
	}
	return projectsdb.New(tenancy.DB(ctx)), scope, nil
}

// List returns up to limit projects after the one at after, oldest first.
// Every role may list (PermRead).
func (s *Service) List(ctx context.Context, after httpapi.Key, limit int) ([]Project, error) {
	q, scope, err := queries(ctx, tenancy.PermRead)
	if err != nil {
		return nil, err
	}
	rows, err := q.ListProjects(ctx, projectsdb.ListProjectsParams{
		TenantID: scope.TenantID, AfterCreatedAt: after.CreatedAt, AfterID: after.ID, MaxRows: int32(limit),
	})
	if err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	out := make([]Project, len(rows))
	for i, r := range rows {
		out[i] = Project(r)
	}
	return out, nil
}

// Create adds a project, created by the calling user; member and above
// (PermWrite). The audit log records it (project.created), as it
// records updates and deletes, in the same transaction.
func (s *Service) Create(ctx context.Context, in Input) (Project, error) {
	q, scope, err := queries(ctx, tenancy.PermWrite)
	if err != nil {
		return Project{}, err
	}
	var problems validation.Errors
	in.Name = cleanText(&problems, "name", in.Name, 200)
	if err := problems.Err(); err != nil {
		return Project{}, err
	}
	r, err := q.CreateProject(ctx, projectsdb.CreateProjectParams{
		TenantID: scope.TenantID, CreatedBy: scope.UserID,
		Name: in.Name,
	})
	if err != nil {
		return Project{}, mapErr("create project", err)
	}
	if err := tenancy.Audit(ctx, "project.created", r.ID.String(), nil); err != nil {
		return Project{}, err
	}
	return Project(r), nil
}

// Get returns one project; every role may (PermRead).
func (s *Service) Get(ctx context.Context, id uuid.UUID) (Project, error) {
	q, scope, err := queries(ctx, tenancy.PermRead)
	if err != nil {
		return Project{}, err
	}
	r, err := q.GetProject(ctx, projectsdb.GetProjectParams{TenantID: scope.TenantID, ID: id})
	if err != nil {
		return Project{}, mapErr("get project", err)
	}
	return Project(r), nil
}

// Update changes the fields of a project that p sets; member and above
// (PermWrite).
func (s *Service) Update(ctx context.Context, id uuid.UUID, p Patch) (Project, error) {
	q, scope, err := queries(ctx, tenancy.PermWrite)
	if err != nil {
		return Project{}, err
	}
	var problems validation.Errors
	if p.Name != nil {
		p.Name = new(cleanText(&problems, "name", *p.Name, 200))
	}
	if err := problems.Err(); err != nil {
		return Project{}, err
	}
	r, err := q.UpdateProject(ctx, projectsdb.UpdateProjectParams{
		TenantID: scope.TenantID, ID: id,
		Name: p.Name,
	})
	if err != nil {
		return Project{}, mapErr("update project", err)
	}
	if err := tenancy.Audit(ctx, "project.updated", r.ID.String(), nil); err != nil {
		return Project{}, err
	}
	return Project(r), nil
}

// Delete removes a project; admin and above (PermDelete).
func (s *Service) Delete(ctx context.Context, id uuid.UUID) error {
	q, scope, err := queries(ctx, tenancy.PermDelete)
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
	return tenancy.Audit(ctx, "project.deleted", id.String(), nil)
}

// cleanText trims a text field and checks it is 1..max visible characters,
// by the rule shared with user and tenant names (validation.CleanText).
func cleanText(problems *validation.Errors, field, value string, max int) string {
	value, problem := validation.CleanText(value, max)
	if problem != "" {
		problems.Add(field, problem)
	}
	return value
}

// uniqueErr is the error each unique constraint answers a duplicate with.
var uniqueErr = map[string]error{
	"projects_tenant_id_name_key": ErrNameTaken,
}

// constraintField names the input field each constraint guards.
var constraintField = map[string]string{
	"projects_name_check": "name",
}

// mapErr turns driver errors into the component's errors and field
// problems, so no driver text reaches a response.
func mapErr(op string, err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	pgErr, ok := errors.AsType[*pgconn.PgError](err)
	if !ok {
		return fmt.Errorf("%s: %w", op, err)
	}
	switch pgErr.Code {
	case "23505": // unique_violation
		if taken, ok := uniqueErr[pgErr.ConstraintName]; ok {
			return taken
		}
	case "23503": // foreign_key_violation
		if pgErr.TableName != "projects" {
			return ErrInUse // another table's row refers to this one
		}
		if field, ok := constraintField[pgErr.ConstraintName]; ok {
			return validation.Errors{{Field: field, Detail: "refers to nothing in this tenant"}}
		}
	case "23514", "23502": // check_violation, not_null_violation
		if field, ok := constraintField[pgErr.ConstraintName]; ok {
			return validation.Errors{{Field: field, Detail: "is invalid"}}
		}
	case "22001", "22P02", "22P05", "22021", "22003": // value too long, malformed, untranslatable, invalid UTF-8, out of range
		return validation.Errors{{Field: "input", Detail: "contains a value that cannot be stored"}}
	}
	return fmt.Errorf("%s: %w", op, err)
}
