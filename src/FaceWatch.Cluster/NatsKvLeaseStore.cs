using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.KeyValueStore;

namespace FaceWatch.Cluster;

/// <summary>
/// <see cref="ILeaseStore"/> over a NATS JetStream key-value bucket. Create-if-absent is <c>CreateAsync</c> (which also
/// takes over a deleted key), compare-and-swap is <c>UpdateAsync(key, value, revision)</c> and
/// <c>DeleteAsync</c> with <see cref="NatsKVDeleteOpts.Revision"/>; entries expire by the bucket's MaxAge (NATS 2.9
/// has no per-key TTL). Wrong-revision answers become <see cref="StoreStatus.RevisionMismatch"/>, every other
/// failure of the server or the connection <see cref="StoreStatus.Unavailable"/>; only the caller's cancellation throws.
/// </summary>
public sealed class NatsKvLeaseStore(INatsKVStore bucket) : ILeaseStore
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    /// <summary>
    /// Bound of a listing. The client's key listing is a watcher that waits for as many entries as were pending when it
    /// started; an entry that expires in between is never delivered, and the listing would wait forever.
    /// </summary>
    public TimeSpan ListTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public string Bucket => bucket.Bucket;

    public async Task<StoreRead> GetAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var result = await bucket.TryGetEntryAsync(key, serializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false);
            if (result.Success)
            {
                return StoreRead.Found(new StoreEntry(key, result.Value.Value ?? [], result.Value.Revision));
            }

            return result.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException
                ? StoreRead.Missing
                : StoreRead.Unavailable(Describe(result.Error));
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            return StoreRead.Unavailable(Describe(e));
        }
    }

    public async Task<StoreWrite> CreateAsync(string key, ReadOnlyMemory<byte> value, CancellationToken cancellationToken)
    {
        try
        {
            var result = await bucket.TryCreateAsync(key, value.ToArray(), Raw, cancellationToken).ConfigureAwait(false);
            return ToWrite(result.Success, result.Success ? result.Value : 0, result.Success ? null : result.Error);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            return Mismatched(e) ? StoreWrite.Mismatch : StoreWrite.Unavailable(Describe(e));
        }
    }

    public async Task<StoreWrite> UpdateAsync(string key, ReadOnlyMemory<byte> value, ulong expectedRevision, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(expectedRevision);
        try
        {
            var result = await bucket.TryUpdateAsync(key, value.ToArray(), expectedRevision, Raw, cancellationToken).ConfigureAwait(false);
            return ToWrite(result.Success, result.Success ? result.Value : 0, result.Success ? null : result.Error);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            return Mismatched(e) ? StoreWrite.Mismatch : StoreWrite.Unavailable(Describe(e));
        }
    }

    public async Task<StoreWrite> DeleteAsync(string key, ulong expectedRevision, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfZero(expectedRevision);
        try
        {
            var result = await bucket.TryDeleteAsync(key, new NatsKVDeleteOpts { Revision = expectedRevision }, cancellationToken).ConfigureAwait(false);
            // the delete marker's revision is not reported by the client; callers never need it
            return ToWrite(result.Success, 0, result.Success ? null : result.Error);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            return Mismatched(e) ? StoreWrite.Mismatch : StoreWrite.Unavailable(Describe(e));
        }
    }

    public async Task<StoreList> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(ListTimeout);
        try
        {
            return await ListAsync(prefix, timeout.Token, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return StoreList.Unavailable($"listing timed out after {ListTimeout.TotalSeconds:F1} s");
        }
    }

    private async Task<StoreList> ListAsync(string prefix, CancellationToken bounded, CancellationToken cancellationToken)
    {
        try
        {
            var keys = new List<string>();
            // a subject filter (prefix + '>') when the prefix ends at a token boundary, else every key filtered here
            var filter = prefix.Length > 0 && prefix.EndsWith('.') ? prefix + ">" : ">";
            await foreach (var key in bucket.GetKeysAsync([filter], cancellationToken: bounded).ConfigureAwait(false))
            {
                if (key.StartsWith(prefix, StringComparison.Ordinal))
                {
                    keys.Add(key);
                }
            }

            var entries = new List<StoreEntry>(keys.Count);
            foreach (var key in keys.Order(StringComparer.Ordinal))
            {
                var read = await GetAsync(key, bounded).ConfigureAwait(false);
                if (read.Status == StoreStatus.Unavailable)
                {
                    return StoreList.Unavailable(read.Error ?? "unavailable");
                }

                if (read.Entry is { } entry)
                {
                    entries.Add(entry); // a key that expired between the listing and the read is simply left out
                }
            }

            return StoreList.Of(entries);
        }
        catch (Exception e) when (IsUnavailable(e, cancellationToken))
        {
            return StoreList.Unavailable(Describe(e));
        }
    }

    private static StoreWrite ToWrite(bool success, ulong revision, Exception? error) =>
        success ? StoreWrite.Written(revision)
        : Mismatched(error) ? StoreWrite.Mismatch
        : StoreWrite.Unavailable(Describe(error));

    // the two answers that mean "someone else's revision is there": not failures of the store
    private static bool Mismatched(Exception? e) => e is NatsKVWrongLastRevisionException or NatsKVCreateException;

    // whatever the client throws for a server without quorum, a lost connection or a request timeout; not the caller's cancellation
    private static bool IsUnavailable(Exception e, CancellationToken cancellationToken) =>
        e is NatsException or TimeoutException || (e is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    private static string Describe(Exception? e) => e switch
    {
        null => "unknown error",
        NatsJSApiException api => $"{api.Error.Code}/{api.Error.ErrCode} {api.Error.Description}",
        _ => $"{e.GetType().Name}: {e.Message}",
    };
}
