package server

import (
	"context"
	"time"

	"github.com/tesseradb/tessera/kv/kvpb"
	"github.com/tesseradb/tessera/ranges"
)

// joinLoop asks the --join addresses, in turn, to admit this node, until
// one does, the node is bootstrapped by `init`, or the server stops. It
// pauses while an init runs here (joinMu).
func (s *Server) joinLoop() {
	if g := s.cfg.Knobs.JoinGate; g != nil {
		select {
		case <-g:
		case <-s.stopper:
			return
		}
	}
	logged := time.Time{}
	for {
		s.mu.Lock()
		st := s.mu.state
		s.mu.Unlock()
		if st != stateWaiting {
			return
		}
		for _, addr := range s.joinPeers() {
			done, err := s.joinOnce(addr)
			if done {
				return
			}
			if err != nil && time.Since(logged) > 10*time.Second {
				s.log.Info("waiting to join a cluster (or for tessera init)", "last", addr, "err", err)
				logged = time.Now()
			}
		}
		if !s.sleep(s.cfg.Knobs.JoinInterval) {
			return
		}
	}
}

// joinOnce asks addr to admit this node, unless an init runs here or the
// node moved on; done means the loop ends.
func (s *Server) joinOnce(addr string) (done bool, err error) {
	s.joinMu.Lock()
	defer s.joinMu.Unlock()
	s.mu.Lock()
	st := s.mu.state
	s.mu.Unlock()
	if st != stateWaiting {
		return true, nil
	}
	resp, err := s.tryJoin(addr)
	if err != nil {
		return false, err
	}
	return s.joined(resp), nil
}

func (s *Server) tryJoin(addr string) (*kvpb.JoinResponse, error) {
	conn, err := s.peers.Conn(addr)
	if err != nil {
		return nil, err
	}
	ctx, cancel := s.stopCtx(context.Background(), 10*time.Second)
	defer cancel()
	return kvpb.NewAdminClient(conn).Join(ctx, &kvpb.JoinRequest{Address: s.addr})
}

// joined installs the ident a Join handed out and starts the store. It
// returns false if the node moved on meanwhile (bootstrapped by init).
func (s *Server) joined(resp *kvpb.JoinResponse) bool {
	s.mu.Lock()
	if s.mu.state != stateWaiting {
		s.mu.Unlock()
		s.log.Warn("ignoring a join answer: node already initialized", "node", resp.GetNodeId())
		return true
	}
	s.mu.state = stateStarting
	s.mu.Unlock()
	ident := &kvpb.StoreIdent{ClusterId: resp.GetClusterId(), NodeId: resp.GetNodeId(), StoreId: resp.GetStoreId()}
	for _, n := range resp.GetNodes() {
		s.book.set(n.NodeID(), n.GetAddress())
	}
	if err := ranges.WriteStoreIdent(s.eng, ident); err != nil {
		s.log.Error("recording the store ident", "err", err)
		s.mu.Lock()
		s.mu.state = stateWaiting
		s.mu.Unlock()
		return false
	}
	s.mu.Lock()
	s.mu.clusterID = ident.GetClusterId()
	s.mu.Unlock()
	s.clearPromise()
	if err := s.book.save(); err != nil {
		s.log.Warn("saving address book", "err", err)
	}
	s.log.Info("joined cluster", "cluster", ident.GetClusterId(), "node", ident.GetNodeId())
	if err := s.startStore(context.Background(), ident); err != nil {
		s.log.Error("starting store after join", "err", err)
	}
	return true
}
