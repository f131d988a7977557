package kube

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
)

// Teardown deletes the cluster's namespaces (and with them its pods,
// Services and policies) and stops its external hosts. It does not wait for
// the namespaces to finish terminating: their names are never used again,
// so the scenario's lane goes on to the next one while the cluster removes
// the pods, which took a quarter of a kind run's scenario time. Backend.Close
// waits for every namespace still terminating, bounded by
// Options.DeleteTimeout. It is safe to call twice: a second call retries
// what the first could not finish.
func (c *Cluster) Teardown(ctx context.Context) error { return c.teardown(ctx, false) }

// teardown is Teardown; with wait it also waits until the namespaces are
// gone, bounded by Options.DeleteTimeout.
func (c *Cluster) teardown(ctx context.Context, wait bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.torn = true
	for _, lp := range c.pods {
		lp.closeSession(nil)
	}
	var errs []error
	// Cluster policies outlive namespaces: they go first, so that none
	// is left selecting pods of a namespace name used again.
	if err := c.deleteClusterPolicies(ctx); err != nil {
		errs = append(errs, err)
	}
	if err := c.deleteAdminPolicies(ctx); err != nil {
		errs = append(errs, err)
	}
	reals := make([]string, 0, len(c.namespaces))
	for name, uid := range c.namespaces {
		real := c.names.real(name)
		if c.terminating[real] {
			reals = append(reals, real) // deleted by an earlier call
			continue
		}
		err := c.b.deleteOwnedNamespace(ctx, real, uid)
		switch {
		case apierrors.IsNotFound(err):
			c.forgetNamespace(name, real)
		case err != nil:
			errs = append(errs, err)
		default:
			reals = append(reals, real)
			if c.terminating == nil {
				c.terminating = map[string]bool{}
			}
			c.terminating[real] = true
			// A namespace being deleted needs no more lease renewals.
			c.b.disown(real)
		}
	}
	if len(c.hosts) > 0 {
		if err := c.b.opts.ExternalHosts.Remove(ctx, c.hosts); err != nil {
			errs = append(errs, fmt.Errorf("remove external hosts: %w", err))
		} else {
			c.hosts = nil
		}
	}
	if c.hosts == nil && c.release != nil {
		c.release()
		c.release = nil
	}
	slices.Sort(reals)
	if wait {
		if err := c.waitNamespacesGone(ctx, reals); err != nil {
			errs = append(errs, err)
		}
	}
	if len(c.namespaces) == 0 && c.hosts == nil {
		c.b.forget(c)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("tear down %s: %w", c.scenario, err)
	}
	return nil
}

// waitNamespacesGone waits until the namespaces are deleted, forgetting each
// as it goes, and names those still there at the deadline.
func (c *Cluster) waitNamespacesGone(ctx context.Context, reals []string) error {
	pending := reals
	err := wait.PollUntilContextTimeout(ctx, pollInterval, c.b.opts.DeleteTimeout, true, func(ctx context.Context) (bool, error) {
		next := pending[:0]
		for _, real := range pending {
			_, err := c.b.client.CoreV1().Namespaces().Get(ctx, real, metav1.GetOptions{})
			switch {
			case apierrors.IsNotFound(err):
				if name, ok := c.names.scenario(real); ok {
					c.forgetNamespace(name, real)
				}
			case err != nil:
				return false, fmt.Errorf("read namespace %s: %w", real, err)
			default:
				next = append(next, real)
			}
		}
		pending = next
		return len(pending) == 0, nil
	})
	if err == nil {
		return nil
	}
	if wait.Interrupted(err) && ctx.Err() == nil {
		return fmt.Errorf("namespaces still terminating after %s: %s", c.b.opts.DeleteTimeout, strings.Join(pending, ", "))
	}
	return fmt.Errorf("wait for namespaces to go: %w", err)
}

// waitNamespaceGone waits until one namespace is deleted.
func (c *Cluster) waitNamespaceGone(ctx context.Context, real string) error {
	return c.waitGone(ctx, func(ctx context.Context) error {
		_, err := c.b.client.CoreV1().Namespaces().Get(ctx, real, metav1.GetOptions{})
		return err
	})
}

// waitGone polls get until it reports NotFound, bounded by Options.DeleteTimeout.
func (c *Cluster) waitGone(ctx context.Context, get func(context.Context) error) error {
	err := wait.PollUntilContextTimeout(ctx, pollInterval, c.b.opts.DeleteTimeout, true, func(ctx context.Context) (bool, error) {
		err := get(ctx)
		if apierrors.IsNotFound(err) {
			return true, nil
		}
		return false, err
	})
	if wait.Interrupted(err) && ctx.Err() == nil {
		return fmt.Errorf("still there after %s", c.b.opts.DeleteTimeout)
	}
	return err
}
