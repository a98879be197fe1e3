using System.Text;

namespace Herald.Bench.Common;

/// <summary>
/// A GitHub-flavoured markdown table whose columns are padded to equal width, so it reads well both rendered and
/// as plain text in a terminal. Columns whose header starts with '>' are right-aligned (numbers).
/// </summary>
internal sealed class MarkdownTable
{
    private readonly string[] _headers;
    private readonly bool[] _right;
    private readonly List<string[]> _rows = [];

    public MarkdownTable(params string[] headers)
    {
        _right = headers.Select(h => h.StartsWith('>')).ToArray();
        _headers = headers.Select(h => h.TrimStart('>')).ToArray();
    }

    public void Add(params string[] cells)
    {
        if (cells.Length != _headers.Length)
        {
            throw new ArgumentException($"Expected {_headers.Length} cells, got {cells.Length}.", nameof(cells));
        }
        _rows.Add(cells);
    }

    public override string ToString()
    {
        var widths = _headers.Select((h, i) => Math.Max(3, _rows.Select(r => r[i].Length).Append(h.Length).Max()))
            .ToArray();
        var text = new StringBuilder();
        AppendRow(text, _headers, widths);
        text.Append('|');
        for (var i = 0; i < widths.Length; i++)
        {
            text.Append(' ').Append('-', widths[i] - 1).Append(_right[i] ? ':' : '-').Append(" |");
        }
        text.AppendLine();
        foreach (var row in _rows)
        {
            AppendRow(text, row, widths);
        }
        return text.ToString();
    }

    private void AppendRow(StringBuilder text, string[] cells, int[] widths)
    {
        text.Append('|');
        for (var i = 0; i < cells.Length; i++)
        {
            text.Append(' ').Append(_right[i] ? cells[i].PadLeft(widths[i]) : cells[i].PadRight(widths[i])).Append(" |");
        }
        text.AppendLine();
    }
}
