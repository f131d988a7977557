package controller

import (
	"errors"
	"fmt"
	"time"

	"github.com/netpolcheck/netpolcheck/enforcer/compile"
)

// sync compiles the listers' state and puts it in force. It reports whether
// another sync is needed without any new event: after a failure, or while a
// local pod waits for its device.
func (c *Controller) sync() (again bool) {
	dirtySince := c.metrics.syncStarted(time.Now())
	c.publish(func(s *Status) { s.Phase = fmt.Sprintf("%s since %s", PhaseSyncing, time.Now().Format("15:04:05.000")) })
	snap, err := c.snapshot()
	var (
		tables *compile.Tables
		gen    uint32
	)
	if err == nil {
		tables, gen, err = c.enforce(snap.input)
	}
	if err != nil {
		err = fmt.Errorf("sync: %w", err)
	}
	now := time.Now()
	c.metrics.syncEnded(now, dirtySince, tables, gen, err)

	c.publish(func(s *Status) {
		s.Phase = PhaseIdle
		s.Err = err
		if gen != 0 {
			s.Generation = gen
		}
		if err != nil {
			return
		}
		s.Marker = max(s.Marker, snap.marker)
		s.Endpoints = len(tables.Endpoints)
		s.Pending = joinPending(snap.pending, skippedReasons(tables.Skipped))
	})
	return err != nil || snap.unrouted
}

// enforce compiles the input and brings the datapath in line: devices no
// longer wanted are detached first, then the tables are applied, and only
// then are new devices attached, so that a device is never attached without
// its pod's rules in the generation in force. A generation that went in
// force with an error is returned with it.
func (c *Controller) enforce(in compile.Input) (*compile.Tables, uint32, error) {
	tables, err := c.compiler.Compile(in)
	if err != nil {
		return nil, 0, err
	}
	dp := c.opts.Datapath
	wanted := make(map[int]bool, len(tables.Endpoints))
	for _, ep := range tables.Endpoints {
		wanted[ep.Ifindex] = true
	}
	var errs []error
	for _, ifindex := range dp.Attached() {
		if !wanted[ifindex] {
			errs = append(errs, dp.Detach(ifindex))
		}
	}
	gen, err := dp.Apply(tables)
	if gen == 0 {
		return tables, 0, errors.Join(append(errs, err)...)
	}
	errs = append(errs, err)
	for _, ep := range tables.Endpoints {
		if err := dp.Attach(ep.Ifindex); err != nil {
			errs = append(errs, fmt.Errorf("endpoint %s: %w", ep.Pod, err))
		}
	}
	return tables, gen, errors.Join(errs...)
}
