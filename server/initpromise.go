package server

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/tesseradb/tessera/kv/kvpb"
)

// Init promises keep two `tessera init`s from both bootstrapping a
// cluster (see the package doc, "Init"). A node being bootstrapped asks
// every --join peer for a promise; a peer promises at most one initiator
// and keeps the promise, on disk, until it joins a cluster, the initiator
// releases it, or the initiator answers that it is neither bootstrapping
// nor a member (its init ended without bootstrapping).

// promiseFile keeps the promise across restarts, next to the ident.
const promiseFile = "TESSERA-INIT-PROMISE"

// initPromise is the promise a node gave (the zero value: none).
type initPromise struct {
	Initiator string `json:"initiator"`
	Attempt   uint64 `json:"attempt"`
}

// loadPromise reads the persisted promise, if any.
func (s *Server) loadPromise() error {
	data, err := os.ReadFile(filepath.Join(s.cfg.StoreDir, promiseFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("server: reading the init promise: %w", err)
	}
	var p initPromise
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("server: %s is corrupt (remove it only if no init of this cluster is running): %w", promiseFile, err)
	}
	s.promise.p = p
	return nil
}

// setPromise records p (the zero value removes the file). The caller
// holds s.promise.mu.
func (s *Server) setPromise(p initPromise) error {
	path := filepath.Join(s.cfg.StoreDir, promiseFile)
	if p == (initPromise{}) {
		if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("server: removing the init promise: %w", err)
		}
		s.promise.p = p
		return nil
	}
	data, err := json.Marshal(p)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return fmt.Errorf("server: writing the init promise: %w", err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("server: writing the init promise: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("server: writing the init promise: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("server: writing the init promise: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("server: writing the init promise: %w", err)
	}
	s.promise.p = p
	return nil
}

// clearPromise drops the promise once the node belongs to a cluster.
func (s *Server) clearPromise() {
	s.promise.mu.Lock()
	defer s.promise.mu.Unlock()
	if err := s.setPromise(initPromise{}); err != nil {
		s.log.Warn("clearing the init promise", "err", err)
	}
}

// vote answers initiator's request for a promise (initiator is this
// node's own address for its own vote in its own init). A promise held
// by another initiator is kept unless that node answers that it is
// neither bootstrapping nor a member of a cluster.
func (s *Server) vote(ctx context.Context, initiator string, attempt uint64) *kvpb.InitPromiseResponse {
	s.promise.mu.Lock()
	defer s.promise.mu.Unlock()
	for round := 0; ; round++ {
		s.mu.Lock()
		cid, st, initializing := s.mu.clusterID, s.mu.state, s.mu.initializing
		s.mu.Unlock()
		switch {
		case cid != "":
			return &kvpb.InitPromiseResponse{ClusterId: cid, Member: s.addr}
		case st != stateWaiting || initializing && initiator != s.addr:
			return &kvpb.InitPromiseResponse{BusyWith: s.addr}
		}
		p := s.promise.p
		if p.Initiator == "" || p.Initiator == initiator {
			if initiator != s.addr {
				if err := s.setPromise(initPromise{Initiator: initiator, Attempt: attempt}); err != nil {
					s.log.Warn("recording an init promise", "err", err)
					return &kvpb.InitPromiseResponse{BusyWith: s.addr}
				}
			}
			return &kvpb.InitPromiseResponse{Granted: true}
		}
		if round > 0 {
			return &kvpb.InitPromiseResponse{BusyWith: p.Initiator}
		}
		// The promise belongs to another initiator: ask it (no lock of
		// Server.mu is held; the answerer takes no promise lock).
		ist, err := s.initStateOf(ctx, p.Initiator)
		switch {
		case err != nil:
			return &kvpb.InitPromiseResponse{BusyWith: p.Initiator}
		case ist.GetClusterId() != "":
			return &kvpb.InitPromiseResponse{ClusterId: ist.GetClusterId(), Member: p.Initiator}
		case ist.GetBusy():
			return &kvpb.InitPromiseResponse{BusyWith: p.Initiator}
		}
		// Its init ended without bootstrapping: the promise is void.
		if err := s.setPromise(initPromise{}); err != nil {
			s.log.Warn("dropping a void init promise", "err", err)
			return &kvpb.InitPromiseResponse{BusyWith: p.Initiator}
		}
		s.log.Info("dropped the init promise of an init that ended", "initiator", p.Initiator)
	}
}

// release drops initiator's promise of attempt, if this node holds it.
func (s *Server) release(initiator string, attempt uint64) {
	s.promise.mu.Lock()
	defer s.promise.mu.Unlock()
	if s.promise.p == (initPromise{Initiator: initiator, Attempt: attempt}) {
		if err := s.setPromise(initPromise{}); err != nil {
			s.log.Warn("releasing an init promise", "err", err)
		}
	}
}

// initStateOf asks the node at addr for its InitState.
func (s *Server) initStateOf(ctx context.Context, addr string) (*kvpb.InitStateResponse, error) {
	conn, err := s.peers.Conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, s.cfg.Knobs.PeerTimeout)
	defer cancel()
	return kvpb.NewAdminClient(conn).InitState(ctx, &kvpb.InitStateRequest{})
}

// InitPromise serves a --join peer's request for an init promise.
func (a *adminServer) InitPromise(ctx context.Context, req *kvpb.InitPromiseRequest) (*kvpb.InitPromiseResponse, error) {
	if req.GetInitiator() == "" {
		return nil, status.Error(codes.InvalidArgument, "init promise: initiator address required")
	}
	if req.GetInitiator() == a.s.addr {
		return nil, status.Error(codes.InvalidArgument, "init promise: the initiator has this node's address")
	}
	if req.GetRelease() {
		a.s.release(req.GetInitiator(), req.GetAttempt())
		return &kvpb.InitPromiseResponse{}, nil
	}
	return a.s.vote(ctx, req.GetInitiator(), req.GetAttempt()), nil
}

// InitState reports whether this node belongs to a cluster or is being
// bootstrapped.
func (a *adminServer) InitState(context.Context, *kvpb.InitStateRequest) (*kvpb.InitStateResponse, error) {
	s := a.s
	s.mu.Lock()
	defer s.mu.Unlock()
	busy := s.mu.initializing || s.mu.state == stateStarting && s.mu.clusterID == ""
	return &kvpb.InitStateResponse{ClusterId: s.mu.clusterID, Busy: busy}, nil
}

// joinPeers returns the --join addresses other than this node's own.
func (s *Server) joinPeers() []string {
	var peers []string
	for _, a := range s.cfg.Join {
		if a != s.addr && a != s.lis.Addr().String() && !slices.Contains(peers, a) {
			peers = append(peers, a)
		}
	}
	return peers
}

// collectPromises runs the vote of an init on this node (Bootstrap: the
// caller holds joinMu and has set initializing). It returns nil when a
// majority of the --join nodes, this one included, promised; otherwise
// the init's gRPC error, after releasing the promises it got.
func (s *Server) collectPromises(ctx context.Context) error {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return status.Errorf(codes.Internal, "init: %v", err)
	}
	attempt := binary.LittleEndian.Uint64(b[:])
	peers := s.joinPeers()
	type answer struct {
		addr string
		resp *kvpb.InitPromiseResponse
		err  error
	}
	answers := make(chan answer, len(peers))
	for _, addr := range peers {
		go func() {
			conn, err := s.peers.Conn(addr)
			if err != nil {
				answers <- answer{addr, nil, err}
				return
			}
			// The peer may ask the initiator it promised (PeerTimeout).
			// WaitForReady: a peer that was not listening when this node
			// first dialed it is reconnected to, not counted out at once.
			cctx, cancel := context.WithTimeout(ctx, 3*s.cfg.Knobs.PeerTimeout)
			defer cancel()
			resp, err := kvpb.NewAdminClient(conn).InitPromise(cctx, &kvpb.InitPromiseRequest{Initiator: s.addr, Attempt: attempt},
				grpc.WaitForReady(true))
			answers <- answer{addr, resp, err}
		}()
	}
	self := s.vote(ctx, s.addr, attempt)
	all := []answer{{s.addr, self, nil}}
	for range peers {
		all = append(all, <-answers)
	}
	var granted []string
	var member, clusterID string
	var busy, unreachable []string
	votes := 0
	for _, a := range all {
		switch {
		case a.err != nil:
			unreachable = append(unreachable, fmt.Sprintf("%s (%v)", a.addr, a.err))
		case a.resp.GetGranted():
			votes++
			if a.addr != s.addr {
				granted = append(granted, a.addr)
			}
		case a.resp.GetClusterId() != "":
			if member == "" {
				member, clusterID = a.resp.GetMember(), a.resp.GetClusterId()
			}
		default:
			busy = append(busy, fmt.Sprintf("%s (init in progress at %s)", a.addr, a.resp.GetBusyWith()))
		}
	}
	quorum := (len(peers)+1)/2 + 1
	if member == "" && votes >= quorum {
		return nil
	}
	s.releasePromises(ctx, granted, attempt)
	if member != "" {
		return status.Errorf(codes.AlreadyExists, "cluster already initialized at %s (cluster %s); this node joins it", member, clusterID)
	}
	var why []string
	if len(busy) > 0 {
		why = append(why, "busy: "+strings.Join(busy, ", "))
	}
	if len(unreachable) > 0 {
		why = append(why, "unreachable: "+strings.Join(unreachable, ", "))
	}
	return status.Errorf(codes.Unavailable, "init needs the promise of a majority of the --join nodes (%d of %d), got %d; %s",
		quorum, len(peers)+1, votes, strings.Join(why, "; "))
}

// releasePromises gives back the promises of a failed init attempt.
func (s *Server) releasePromises(ctx context.Context, addrs []string, attempt uint64) {
	done := make(chan struct{}, len(addrs))
	for _, addr := range addrs {
		go func() {
			defer func() { done <- struct{}{} }()
			conn, err := s.peers.Conn(addr)
			if err != nil {
				return
			}
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.Knobs.PeerTimeout)
			defer cancel()
			if _, err := kvpb.NewAdminClient(conn).InitPromise(cctx, &kvpb.InitPromiseRequest{Initiator: s.addr, Attempt: attempt, Release: true}); err != nil {
				// Harmless: the peer drops the promise once it sees this
				// node idle (vote).
				s.log.Info("releasing an init promise", "peer", addr, "err", err)
			}
		}()
	}
	for range addrs {
		<-done
	}
}
