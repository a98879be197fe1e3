namespace Herald.Broker.Queues;

/// <summary>
/// The settled (acknowledged, dead-lettered, expired, dropped) message ids of a queue as compact ranges: a floor
/// below which every id is settled, and sorted disjoint half-open ranges above it. Acknowledgements arrive mostly in
/// order, so the ranges stay few and the floor advances.
/// </summary>
internal sealed class AckRanges
{
    private readonly List<(long Start, long End)> _ranges = [];

    /// <summary>Every id below this is settled.</summary>
    public long Floor { get; private set; }

    public int RangeCount => _ranges.Count;

    public IReadOnlyList<(long Start, long End)> Ranges => _ranges;

    public bool Contains(long id)
    {
        if (id < Floor)
        {
            return true;
        }
        var index = FindFirstEndingAfter(id);
        return index < _ranges.Count && _ranges[index].Start <= id;
    }

    public void Add(long id) => Add(id, id + 1);

    /// <summary>Marks [<paramref name="start"/>, <paramref name="end"/>) settled.</summary>
    public void Add(long start, long end)
    {
        start = Math.Max(start, Floor);
        if (start >= end)
        {
            return;
        }
        // Find ranges that touch or overlap [start, end) and merge them into one.
        var index = FindFirstEndingAfter(start - 1);
        var mergedStart = start;
        var mergedEnd = end;
        var removeCount = 0;
        while (index + removeCount < _ranges.Count && _ranges[index + removeCount].Start <= end)
        {
            var range = _ranges[index + removeCount];
            mergedStart = Math.Min(mergedStart, range.Start);
            mergedEnd = Math.Max(mergedEnd, range.End);
            removeCount++;
        }
        if (removeCount > 0)
        {
            _ranges.RemoveRange(index, removeCount);
        }
        _ranges.Insert(index, (mergedStart, mergedEnd));
        if (_ranges[0].Start <= Floor)
        {
            Floor = Math.Max(Floor, _ranges[0].End);
            _ranges.RemoveAt(0);
        }
    }

    /// <summary>Replaces the state (replaying a snapshot).</summary>
    public void Reset(long floor, IEnumerable<(long Start, long End)> ranges)
    {
        Floor = floor;
        _ranges.Clear();
        foreach (var (start, end) in ranges)
        {
            Add(start, end);
        }
    }

    /// <summary>Index of the first range whose end is above <paramref name="id"/>.</summary>
    private int FindFirstEndingAfter(long id)
    {
        var low = 0;
        var high = _ranges.Count;
        while (low < high)
        {
            var mid = (low + high) >>> 1;
            if (_ranges[mid].End <= id)
            {
                low = mid + 1;
            }
            else
            {
                high = mid;
            }
        }
        return low;
    }
}
