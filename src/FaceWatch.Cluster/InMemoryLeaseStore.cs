namespace FaceWatch.Cluster;

/// <summary>
/// An <see cref="ILeaseStore"/> in memory with the revision semantics of a NATS KV bucket (history 1): one sequence
/// for the whole store, a delete writes a marker with its own revision, a create succeeds on an absent, deleted or
/// expired key, and with <c>maxAge</c> an entry not rewritten for that long vanishes (the bucket's MaxAge), on the
/// given clock. For unit tests of the lease logic and for single-process use.
/// </summary>
public sealed class InMemoryLeaseStore(TimeProvider time, TimeSpan? maxAge = null) : ILeaseStore
{
    private readonly Dictionary<string, Message> _last = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private ulong _sequence;

    /// <summary>How many writes the store has taken (the latest revision).</summary>
    public ulong Sequence
    {
        get
        {
            lock (_lock)
            {
                return _sequence;
            }
        }
    }

    public Task<StoreRead> GetAsync(string key, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(Latest(key) is { Deleted: false } m ? StoreRead.Found(new StoreEntry(key, m.Value, m.Revision)) : StoreRead.Missing);
        }
    }

    public Task<StoreWrite> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(Latest(key) is { Deleted: false } ? StoreWrite.Mismatch : Write(key, value, deleted: false));
        }
    }

    public Task<StoreWrite> UpdateAsync(string key, ReadOnlyMemory<byte> value, ulong expectedRevision, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(expectedRevision);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(LastRevision(key) == expectedRevision ? Write(key, value, deleted: false) : StoreWrite.Mismatch);
        }
    }

    public Task<StoreWrite> DeleteAsync(string key, ulong expectedRevision, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(expectedRevision);
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            return Task.FromResult(LastRevision(key) == expectedRevision ? Write(key, ReadOnlyMemory<byte>.Empty, deleted: true) : StoreWrite.Mismatch);
        }
    }

    public Task<StoreList> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_lock)
        {
            var entries = _last.Keys.Where(k => k.StartsWith(prefix, StringComparison.Ordinal)).Order(StringComparer.Ordinal)
                .Select(k => (Key: k, Message: Latest(k)))
                .Where(e => e.Message is { Deleted: false })
                .Select(e => new StoreEntry(e.Key, e.Message!.Value, e.Message.Revision))
                .ToList();
            return Task.FromResult(StoreList.Of(entries));
        }
    }

    /// <summary>The latest message of the key (a value or a delete marker), null when there is none or it has expired.</summary>
    private Message? Latest(string key)
    {
        if (!_last.TryGetValue(key, out var m))
        {
            return null;
        }

        if (maxAge is { } age && time.GetUtcNow() - m.WrittenUtc >= age)
        {
            _last.Remove(key); // expired as the server's MaxAge would remove it: the key then has no message at all
            return null;
        }

        return m;
    }

    // the revision a compare-and-swap is checked against: the latest message's, markers included; 0 when none
    private ulong LastRevision(string key) => Latest(key)?.Revision ?? 0;

    private StoreWrite Write(string key, ReadOnlyMemory<byte> value, bool deleted)
    {
        var revision = ++_sequence;
        _last[key] = new Message(value.ToArray(), revision, deleted, time.GetUtcNow());
        return StoreWrite.Written(revision);
    }

    private sealed record Message(byte[] Value, ulong Revision, bool Deleted, DateTimeOffset WrittenUtc);
}
