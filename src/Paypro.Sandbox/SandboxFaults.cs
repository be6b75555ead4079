using Paypro.Sandbox.Callbacks;

namespace Paypro.Sandbox;

/// <summary>
/// The active faults. Faults are checked in the order they were added: every matching
/// <see cref="FaultKind.Latency"/> adds its delay, the first other matching request fault decides
/// the answer, and the first matching callback fault decides what happens to a callback.
/// </summary>
public sealed class SandboxFaults
{
    private readonly object _gate = new();
    private readonly List<Entry> _entries = [];
    private Random _random;
    private int _nextId;

    internal SandboxFaults(int seed, IEnumerable<SandboxFault>? initial)
    {
        _random = new Random(seed);
        foreach (var fault in initial ?? [])
        {
            Add(fault);
        }
    }

    /// <summary>Sends callbacks a removed <see cref="FaultKind.ReorderCallbacks"/> fault was holding.</summary>
    internal Action<IReadOnlyList<PendingNotification>>? ReleaseHeld { get; set; }

    /// <summary>Adds a fault (a copy is kept) and returns its id.</summary>
    /// <exception cref="ArgumentException">The fault is inconsistent; the message says which property.</exception>
    public int Add(SandboxFault fault)
    {
        ArgumentNullException.ThrowIfNull(fault);
        if (fault.Validate("fault") is { } error)
        {
            throw new ArgumentException(error, nameof(fault));
        }
        lock (_gate)
        {
            var entry = new Entry(++_nextId, fault.Clone());
            _entries.Add(entry);
            return entry.Id;
        }
    }

    /// <summary>Removes a fault; false when there is none with that id.</summary>
    public bool Remove(int id)
    {
        List<PendingNotification>? held;
        lock (_gate)
        {
            var index = _entries.FindIndex(e => e.Id == id);
            if (index < 0)
            {
                return false;
            }
            held = TakeHeld(_entries[index]);
            _entries.RemoveAt(index);
        }
        Release(held);
        return true;
    }

    /// <summary>Removes every fault.</summary>
    public void Clear()
    {
        var held = new List<PendingNotification>();
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                held.AddRange(TakeHeld(entry) ?? []);
            }
            _entries.Clear();
        }
        Release(held);
    }

    /// <summary>The faults, with how often each fired and how many times it still will.</summary>
    public IReadOnlyList<SandboxFaultStatus> Active
    {
        get
        {
            lock (_gate)
            {
                return _entries.Select(static e => new SandboxFaultStatus(e.Id, e.Fault.Clone(), e.Remaining, e.Fired)).ToArray();
            }
        }
    }

    /// <summary>Decides what faults a request to <paramref name="endpoint"/> gets, and counts them as fired.</summary>
    internal RequestFaults MatchRequest(string endpoint, string? tradeNo)
    {
        var latency = TimeSpan.Zero;
        SandboxFault? answer = null;
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                if (entry.Fault.IsCallbackFault
                    || (answer is not null && entry.Fault.Kind != FaultKind.Latency)
                    || !Matches(entry, endpoint, tradeNo)
                    || !Fires(entry))
                {
                    continue;
                }
                if (entry.Fault.Kind == FaultKind.Latency)
                {
                    latency += entry.Fault.Delay;
                }
                else
                {
                    answer = entry.Fault;
                }
            }
        }
        return new(latency, answer?.Kind, answer?.StatusCode);
    }

    /// <summary>Decides what happens to a callback, and counts the fault as fired.</summary>
    internal CallbackFault MatchCallback(PendingNotification notification)
    {
        lock (_gate)
        {
            foreach (var entry in _entries)
            {
                if (!entry.Fault.IsCallbackFault || !Matches(entry, notification.Endpoint, notification.TradeNo) || !Fires(entry))
                {
                    continue;
                }
                if (entry.Fault.Kind != FaultKind.ReorderCallbacks)
                {
                    return new(entry.Fault.Kind, entry.Fault.Delay, null);
                }
                entry.Held.Add(notification);
                return new(FaultKind.ReorderCallbacks, TimeSpan.Zero, entry.Remaining == 0 ? TakeHeld(entry) : null);
            }
        }
        return default;
    }

    internal void Reset(int seed, IEnumerable<SandboxFault>? initial)
    {
        lock (_gate)
        {
            // Held callbacks belong to the state being reset; they are dropped, not released.
            _entries.Clear();
            _random = new Random(seed);
        }
        foreach (var fault in initial ?? [])
        {
            Add(fault);
        }
    }

    private static bool Matches(Entry entry, string endpoint, string? tradeNo) =>
        entry.Remaining != 0
        && (entry.Fault.Endpoint is null || string.Equals(entry.Fault.Endpoint, endpoint, StringComparison.OrdinalIgnoreCase))
        && (entry.Fault.TradeNo is null || entry.Fault.TradeNo == tradeNo);

    private bool Fires(Entry entry)
    {
        if (entry.Fault.Probability is { } probability && _random.NextDouble() >= probability)
        {
            return false;
        }
        if (entry.Remaining is not null)
        {
            entry.Remaining--;
        }
        entry.Fired++;
        return true;
    }

    // Reversed: the last held is sent first.
    private static List<PendingNotification>? TakeHeld(Entry entry)
    {
        if (entry.Held.Count == 0)
        {
            return null;
        }
        var held = Enumerable.Reverse(entry.Held).ToList();
        entry.Held.Clear();
        return held;
    }

    private void Release(List<PendingNotification>? held)
    {
        if (held is { Count: > 0 })
        {
            ReleaseHeld?.Invoke(held);
        }
    }

    private sealed class Entry(int id, SandboxFault fault)
    {
        public int Id { get; } = id;

        public SandboxFault Fault { get; } = fault;

        public int? Remaining { get; set; } = fault.Count;

        public int Fired { get; set; }

        public List<PendingNotification> Held { get; } = [];
    }
}

/// <summary>What faults a request gets.</summary>
internal readonly record struct RequestFaults(TimeSpan Latency, FaultKind? Answer, int? StatusCode);

/// <summary>
/// What happens to a callback: nothing (Kind null), or a fault; <see cref="Release"/> is a reordered batch ready to send.
/// </summary>
internal readonly record struct CallbackFault(FaultKind? Kind, TimeSpan Delay, IReadOnlyList<PendingNotification>? Release);
