package clusters

import (
	"errors"
	"slices"
	"sync"
	"testing"
)

func TestLiveSet(t *testing.T) {
	var s LiveSet[*int]
	made := func(n int) (*int, error) { return &n, nil }
	a, err := s.Add(made)
	if err != nil || *a != 0 {
		t.Fatalf("first Add = %v, %v; want cluster 0", a, err)
	}
	if _, err := s.Add(func(int) (*int, error) { return nil, errors.New("no") }); err == nil || s.Len() != 1 {
		t.Fatalf("a failed make: err %v, %d live; want the error and nothing recorded", err, s.Len())
	}
	b, _ := s.Add(made)
	if *b != 1 {
		t.Errorf("second cluster numbered %d; want 1 (a failed make takes no number)", *b)
	}
	s.Forget(a)
	live, first := s.Close()
	if !first || !slices.Equal(live, []*int{b}) {
		t.Errorf("Close = %v, %v; want [b], true", live, first)
	}
	if live, first := s.Close(); first || live != nil {
		t.Errorf("second Close = %v, %v; want nothing", live, first)
	}
	if _, err := s.Add(made); !errors.Is(err, ErrClosed) {
		t.Errorf("Add after Close = %v; want ErrClosed", err)
	}
}

func TestLiveSetNumbersConcurrentAddsOnce(t *testing.T) {
	var s LiveSet[*int]
	var wg sync.WaitGroup
	seen := make(chan int, 50)
	for range 50 {
		wg.Go(func() {
			c, _ := s.Add(func(n int) (*int, error) { return &n, nil })
			seen <- *c
		})
	}
	wg.Wait()
	close(seen)
	var got []int
	for n := range seen {
		got = append(got, n)
	}
	slices.Sort(got)
	for i, n := range got {
		if n != i {
			t.Fatalf("numbers %v; want 0..49 once each", got)
		}
	}
}
