using System.Text;

namespace Herald.CodeGen;

/// <summary>Accumulates C# source with four-space indentation and "\n" line ends, whatever the host OS.</summary>
public sealed class CodeWriter
{
    private readonly StringBuilder _text = new();
    private int _indent;

    public void Line(string line = "")
    {
        if (line.Length > 0)
        {
            _text.Append(' ', _indent * 4).Append(line);
        }
        _text.Append('\n');
    }

    /// <summary>Writes <paramref name="header"/> (if any) and an opening brace, then indents.</summary>
    public void Open(string header)
    {
        if (header.Length > 0)
        {
            Line(header);
        }
        Line("{");
        _indent++;
    }

    public void Close(string suffix = "")
    {
        _indent--;
        Line("}" + suffix);
    }

    /// <summary>
    /// Emits <paramref name="then"/> under <paramref name="condition"/> and <paramref name="otherwise"/> under its
    /// negation, folding the constant conditions "true" and "false" away so generated code has no dead branches.
    /// </summary>
    public void If(string condition, Action then, Action? otherwise = null)
    {
        switch (condition)
        {
            case "true":
                then();
                return;
            case "false":
                otherwise?.Invoke();
                return;
        }
        Open($"if ({condition})");
        then();
        Close();
        if (otherwise is not null)
        {
            Open("else");
            otherwise();
            Close();
        }
    }

    public override string ToString() => _text.ToString();
}
