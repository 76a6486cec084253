namespace FaceWatch.Pipeline.Publishing;

/// <summary>
/// The in-order queue between the event stream and the broker. Items leave only when the sender
/// says they were delivered (<see cref="Remove"/>), so a disconnect mid-send re-sends them.
/// Full mode: drop the oldest and count it (the caller warns).
/// </summary>
public sealed class BoundedOutbox<T>
    where T : class
{
    private readonly Lock _gate = new();
    private readonly LinkedList<T> _items = new();
    private TaskCompletionSource? _notEmpty;
    private long _dropped;

    public BoundedOutbox(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _items.Count;
            }
        }
    }

    /// <summary>Items dropped because the outbox was full, since start.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Appends <paramref name="item"/>; returns the item dropped to make room, if any.</summary>
    public T? Enqueue(T item)
    {
        ArgumentNullException.ThrowIfNull(item);
        T? dropped = null;
        TaskCompletionSource? wake;
        lock (_gate)
        {
            if (_items.Count >= Capacity)
            {
                dropped = _items.First!.Value;
                _items.RemoveFirst();
                Interlocked.Increment(ref _dropped);
            }

            _items.AddLast(item);
            wake = _notEmpty;
            _notEmpty = null;
        }

        wake?.TrySetResult();
        return dropped;
    }

    /// <summary>The oldest item, left in place until <see cref="Remove"/>.</summary>
    public bool TryPeek(out T item)
    {
        lock (_gate)
        {
            if (_items.First is { } first)
            {
                item = first.Value;
                return true;
            }
        }

        item = null!;
        return false;
    }

    /// <summary>Removes a delivered item; no-op if it was dropped meanwhile.</summary>
    public bool Remove(T item)
    {
        lock (_gate)
        {
            // Almost always the head; a full outbox may have dropped it while it was in flight.
            if (_items.First is { } first && ReferenceEquals(first.Value, item))
            {
                _items.RemoveFirst();
                return true;
            }

            return _items.Remove(item);
        }
    }

    /// <summary>Completes when at least one item is queued.</summary>
    public Task WhenNotEmpty()
    {
        lock (_gate)
        {
            if (_items.Count > 0)
            {
                return Task.CompletedTask;
            }

            _notEmpty ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            return _notEmpty.Task;
        }
    }
}
