package session

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// The store conformance suite also runs against a real 3-node Redis
// Cluster on loopback (issue 11), started on first use by the test binary
// and stopped when it exits (TestMain). Without redis-server on the PATH
// the cluster tests fail, like the other tests without their Postgres or
// Redis: scripts/ensure-services (make test) installs it.

const clusterNodes = 3

// redisCluster is the test binary's cluster.
var redisCluster struct {
	once  sync.Once
	addrs []string
	procs []clusterProc
	dir   string
	err   error
}

// newRedisClusterClient returns a client of the test cluster, starting the
// cluster on first use.
func newRedisClusterClient(t testing.TB) redis.UniversalClient {
	t.Helper()
	redisCluster.once.Do(startRedisCluster)
	if redisCluster.err != nil {
		t.Fatalf("redis cluster: %v", redisCluster.err)
	}
	c, err := NewRedisClient("redis+cluster://" + strings.Join(redisCluster.addrs, ","))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func startRedisCluster() {
	server, err := exec.LookPath("redis-server")
	if err != nil {
		redisCluster.err = errors.New("redis-server is not installed (make test installs it: scripts/ensure-services)")
		return
	}
	cli, err := exec.LookPath("redis-cli")
	if err != nil {
		redisCluster.err = errors.New("redis-cli is not installed (make test installs it: scripts/ensure-services)")
		return
	}
	redisCluster.err = func() error {
		dir, err := os.MkdirTemp("", "tenantkit-redis-cluster-")
		if err != nil {
			return err
		}
		redisCluster.dir = dir
		for range clusterNodes {
			addr, err := startClusterNode(server, dir)
			if err != nil {
				return err
			}
			redisCluster.addrs = append(redisCluster.addrs, addr)
		}
		args := append([]string{"--cluster", "create"}, redisCluster.addrs...)
		args = append(args, "--cluster-replicas", "0", "--cluster-yes")
		if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("redis-cli --cluster create: %w\n%s", err, out)
		}
		for _, addr := range redisCluster.addrs {
			if err := waitClusterOK(addr); err != nil {
				return err
			}
		}
		return nil
	}()
}

// startClusterNode starts one cluster-enabled redis-server in dir and
// returns its address once it answers. A port taken between choosing it
// and the server binding it makes the server exit: then it tries another.
func startClusterNode(server, dir string) (string, error) {
	var lastErr error
	for range 3 {
		port, err := freeClusterPort()
		if err != nil {
			return "", err
		}
		p := strconv.Itoa(port)
		logFile := dir + "/redis-" + p + ".log"
		cmd := exec.Command(server, "--port", p, "--bind", "127.0.0.1", "--cluster-enabled", "yes",
			"--cluster-config-file", dir+"/nodes-"+p+".conf", "--dir", dir, "--logfile", logFile,
			"--save", "", "--appendonly", "no", "--daemonize", "no")
		setDeathSignal(cmd)
		if err := cmd.Start(); err != nil {
			return "", fmt.Errorf("start redis-server: %w", err)
		}
		proc := clusterProc{cmd: cmd, exited: make(chan struct{})}
		go func() { _ = cmd.Wait(); close(proc.exited) }() // a killed server's Wait fails
		addr := "127.0.0.1:" + p
		err = waitPing(addr, proc.exited)
		if err == nil {
			redisCluster.procs = append(redisCluster.procs, proc)
			return addr, nil
		}
		proc.stop()
		log, _ := os.ReadFile(logFile)
		lastErr = fmt.Errorf("redis-server on %s: %w\n%s", addr, err, log)
	}
	return "", lastErr
}

// clusterProc is a running node; exited is closed once it has exited.
type clusterProc struct {
	cmd    *exec.Cmd
	exited chan struct{}
}

func (p clusterProc) stop() {
	_ = p.cmd.Process.Kill() // it may have exited already
	<-p.exited
}

// stopRedisCluster kills the cluster's servers, if it was started.
func stopRedisCluster() {
	for _, p := range redisCluster.procs {
		p.stop()
	}
	if redisCluster.dir != "" {
		os.RemoveAll(redisCluster.dir)
	}
}

// freeClusterPort returns a free loopback port whose cluster bus port
// (+10000) is free too.
func freeClusterPort() (int, error) {
	for range 50 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return 0, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		if port+10000 > 65535 {
			l.Close()
			continue
		}
		bus, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port+10000))
		l.Close()
		if err != nil {
			continue
		}
		bus.Close()
		return port, nil
	}
	return 0, errors.New("no free port pair for a cluster node")
}

// waitPing waits until the server on addr answers, or exits.
func waitPing(addr string, exited <-chan struct{}) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	var err error
	if eventually(func() bool {
		select {
		case <-exited:
			err = errors.New("the server exited")
			return true
		default:
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		err = c.Ping(ctx).Err()
		return err == nil
	}) && err == nil {
		return nil
	}
	return err
}

func waitClusterOK(addr string) error {
	c := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	var info string
	if eventually(func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		info, _ = c.ClusterInfo(ctx).Result()
		return strings.Contains(info, "cluster_state:ok")
	}) {
		return nil
	}
	return fmt.Errorf("node %s: cluster not ok after %v:\n%s", addr, waitBound, info)
}

// The cluster really is one: its keys spread over its nodes, so a test
// passing on it exercises slot routing.
func TestRedisClusterSpreadsKeys(t *testing.T) {
	c := newRedisClusterClient(t)
	prefix := testPrefix(t, c)
	for i := range 30 {
		if err := c.Set(t.Context(), prefix+strconv.Itoa(i), "x", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	var mu sync.Mutex
	masters := 0
	err := c.(*redis.ClusterClient).ForEachMaster(t.Context(), func(ctx context.Context, node *redis.Client) error {
		n, err := node.DBSize(ctx).Result()
		if n > 0 {
			mu.Lock()
			masters++
			mu.Unlock()
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if masters != clusterNodes {
		t.Errorf("keys on %d masters, want %d", masters, clusterNodes)
	}
}
