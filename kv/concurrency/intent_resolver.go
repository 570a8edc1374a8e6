package concurrency

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/tesseradb/tessera/hlc"
	"github.com/tesseradb/tessera/kv/kvpb"
)

// Sender sends a batch routed by its keys (no range ID needed): the
// node's DistSender, or a local router.
type Sender interface {
	Send(ctx context.Context, ba *kvpb.BatchRequest) (*kvpb.BatchResponse, error)
}

// IntentResolver pushes txns, resolves intents and queries records
// through a Sender; it also resolves finished txns' remote intents
// asynchronously. It implements Pusher.
type IntentResolver struct {
	sender Sender
	clock  *hlc.Clock
	log    *slog.Logger
	// asyncTimeout bounds one asynchronous resolution.
	asyncTimeout time.Duration
	wg           sync.WaitGroup
	stop         chan struct{}
	stopOnce     sync.Once
	sem          chan struct{}
}

// NewIntentResolver returns a resolver over sender.
func NewIntentResolver(sender Sender, clock *hlc.Clock, log *slog.Logger) *IntentResolver {
	if log == nil {
		log = slog.Default()
	}
	return &IntentResolver{sender: sender, clock: clock, log: log, asyncTimeout: 10 * time.Second,
		stop: make(chan struct{}), sem: make(chan struct{}, 64)}
}

func (ir *IntentResolver) send(ctx context.Context, txn *kvpb.Transaction, reqs ...*kvpb.RequestUnion) (*kvpb.BatchResponse, error) {
	ba := &kvpb.BatchRequest{Header: &kvpb.Header{Txn: txn}, Requests: reqs, Now: kvpb.TS(ir.clock.Now())}
	br, err := ir.sender.Send(ctx, ba)
	if err != nil {
		return nil, err
	}
	if e := br.GetError(); e != nil {
		return nil, e.GoError()
	}
	return br, nil
}

// PushTxn implements Pusher.
func (ir *IntentResolver) PushTxn(ctx context.Context, pusher *kvpb.Transaction, pushee *kvpb.TxnMeta, typ kvpb.PushTxnType, pushTo hlc.Timestamp) (*kvpb.Transaction, error) {
	if pusher == nil {
		pusher = &kvpb.Transaction{}
	}
	br, err := ir.send(ctx, nil, kvpb.NewPushTxn(pusher, pushee, typ, pushTo, ir.clock.Now()))
	if err != nil {
		return nil, err
	}
	return br.GetResponses()[0].GetPushTxn().GetPusheeTxn(), nil
}

// ResolveIntent implements Pusher.
func (ir *IntentResolver) ResolveIntent(ctx context.Context, key []byte, txn *kvpb.Transaction) error {
	_, err := ir.send(ctx, nil, kvpb.NewResolveIntent(key, txn))
	return err
}

// QueryTxn returns txn's record and its waiters (QueueConfig.Query).
func (ir *IntentResolver) QueryTxn(ctx context.Context, txn *kvpb.TxnMeta) (*kvpb.QueryTxnResponse, error) {
	br, err := ir.send(ctx, nil, kvpb.NewQueryTxn(txn))
	if err != nil {
		return nil, err
	}
	return br.GetResponses()[0].GetQueryTxn(), nil
}

// ResolveAsync resolves txn's intents in spans in the background (best
// effort: whoever meets a leftover intent resolves it after a push).
func (ir *IntentResolver) ResolveAsync(txn *kvpb.Transaction, spans []*kvpb.Span) {
	if len(spans) == 0 {
		return
	}
	select {
	case <-ir.stop:
		return
	default:
	}
	ir.wg.Add(1)
	go func() {
		defer ir.wg.Done()
		select {
		case ir.sem <- struct{}{}:
		case <-ir.stop:
			return
		}
		defer func() { <-ir.sem }()
		ctx, cancel := context.WithTimeout(context.Background(), ir.asyncTimeout)
		defer cancel()
		go func() {
			select {
			case <-ir.stop:
				cancel()
			case <-ctx.Done():
			}
		}()
		if err := ir.resolveSpans(ctx, txn, spans, false); err != nil {
			ir.log.Debug("async intent resolution failed", "txn", kvpb.ShortID(txn.ID()), "err", err)
		}
	}()
}

// ResolveSpans resolves txn's intents in spans now, returning the first
// error (the txn record GC resolves a finalized txn's intents before it
// removes the record).
func (ir *IntentResolver) ResolveSpans(ctx context.Context, txn *kvpb.Transaction, spans []*kvpb.Span) error {
	return ir.resolveSpans(ctx, txn, spans, true)
}

// resolveSpans resolves every span; with stopOnError it returns at the
// first failure, else it tries them all and returns the last failure.
func (ir *IntentResolver) resolveSpans(ctx context.Context, txn *kvpb.Transaction, spans []*kvpb.Span, stopOnError bool) error {
	var last error
	for _, s := range spans {
		var req *kvpb.RequestUnion
		if len(s.GetEndKey()) == 0 {
			req = kvpb.NewResolveIntent(s.GetKey(), txn)
		} else {
			req = kvpb.NewResolveIntentRange(s.GetKey(), s.GetEndKey(), txn)
		}
		if _, err := ir.send(ctx, nil, req); err != nil {
			if stopOnError {
				return err
			}
			last = err
		}
	}
	return last
}

// Close stops background work and waits for it.
func (ir *IntentResolver) Close() {
	ir.stopOnce.Do(func() { close(ir.stop) })
	ir.wg.Wait()
}
