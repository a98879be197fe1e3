using System.Buffers;
using Herald.Frontends.Resp.Commands;
using Herald.Protocols.Resp;

namespace Herald.Frontends.Resp.Catalog;

/// <summary>
/// Encodes a command's COMMAND INFO element and COMMAND DOCS map exactly as Redis's <c>addReplyCommandInfo</c> and
/// <c>addReplyCommandDocs</c> lay them out (field order, which fields are omitted when empty, sets versus arrays),
/// listing only the subcommands Herald implements. Each is encoded once per RESP version and cached by
/// <see cref="RespCommandEntry"/>. Stateless.
/// </summary>
internal static class RespCommandReplies
{
    public static byte[] EncodeInfo(RespCommandEntry entry, bool resp3) => Encode(resp3, writer => WriteInfo(writer, entry));

    public static byte[] EncodeDocs(RespCommandEntry entry, bool resp3) => Encode(resp3, writer => WriteDocs(writer, entry));

    private static byte[] Encode(bool resp3, Action<RespWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>();
        write(new RespWriter(buffer, resp3 ? RespVersion.Resp3 : RespVersion.Resp2));
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteInfo(RespWriter writer, RespCommandEntry entry)
    {
        var spec = entry.Spec;
        writer.WriteArrayHeader(10);
        writer.WriteBulkString(spec.Name);
        writer.WriteInteger(spec.Arity);
        WriteStatusSet(writer, spec.Flags);
        writer.WriteInteger(spec.FirstKey);
        writer.WriteInteger(spec.LastKey);
        writer.WriteInteger(spec.KeyStep);
        WriteStatusSet(writer, spec.AclCategories);
        writer.WriteSetHeader(spec.Tips.Length);
        foreach (var tip in spec.Tips)
        {
            writer.WriteBulkString(tip);
        }
        writer.WriteSetHeader(spec.KeySpecs.Length);
        foreach (var keySpec in spec.KeySpecs)
        {
            WriteKeySpec(writer, keySpec);
        }
        if (entry.HasSubcommands)
        {
            writer.WriteArrayHeader(entry.Subcommands.Count);
            foreach (var subcommand in entry.Subcommands)
            {
                writer.WriteRaw(subcommand.EncodedInfo(writer.IsResp3));
            }
        }
        else
        {
            writer.WriteSetHeader(0);
        }
    }

    private static void WriteKeySpec(RespWriter writer, RespKeySpec spec)
    {
        writer.WriteMapHeader(spec.Notes is null ? 3 : 4);
        if (spec.Notes is not null)
        {
            writer.WriteBulkString("notes");
            writer.WriteBulkString(spec.Notes);
        }
        writer.WriteBulkString("flags");
        WriteStatusSet(writer, spec.Flags);

        writer.WriteBulkString("begin_search");
        writer.WriteMapHeader(2);
        writer.WriteBulkString("type");
        switch (spec.BeginSearch)
        {
            case RespKeySearch.Index:
                writer.WriteBulkString("index");
                writer.WriteBulkString("spec");
                writer.WriteMapHeader(1);
                writer.WriteBulkString("index");
                writer.WriteInteger(spec.Index);
                break;
            case RespKeySearch.Keyword:
                writer.WriteBulkString("keyword");
                writer.WriteBulkString("spec");
                writer.WriteMapHeader(2);
                writer.WriteBulkString("keyword");
                writer.WriteBulkString(spec.Keyword ?? "");
                writer.WriteBulkString("startfrom");
                writer.WriteInteger(spec.StartFrom);
                break;
            default:
                writer.WriteBulkString("unknown");
                writer.WriteBulkString("spec");
                writer.WriteMapHeader(0);
                break;
        }

        writer.WriteBulkString("find_keys");
        writer.WriteMapHeader(2);
        writer.WriteBulkString("type");
        switch (spec.FindKeys)
        {
            case RespKeyFind.Range:
                writer.WriteBulkString("range");
                writer.WriteBulkString("spec");
                writer.WriteMapHeader(3);
                writer.WriteBulkString("lastkey");
                writer.WriteInteger(spec.LastKey);
                writer.WriteBulkString("keystep");
                writer.WriteInteger(spec.KeyStep);
                writer.WriteBulkString("limit");
                writer.WriteInteger(spec.Limit);
                break;
            case RespKeyFind.KeyNum:
                writer.WriteBulkString("keynum");
                writer.WriteBulkString("spec");
                writer.WriteMapHeader(3);
                writer.WriteBulkString("keynumidx");
                writer.WriteInteger(spec.KeyNumIndex);
                writer.WriteBulkString("firstkey");
                writer.WriteInteger(spec.FirstKey);
                writer.WriteBulkString("keystep");
                writer.WriteInteger(spec.KeyStep);
                break;
            default:
                writer.WriteBulkString("unknown");
                writer.WriteBulkString("spec");
                writer.WriteMapHeader(0);
                break;
        }
    }

    private static void WriteDocs(RespWriter writer, RespCommandEntry entry)
    {
        var spec = entry.Spec;
        var fields = 1
            + (spec.Summary is null ? 0 : 1)
            + (spec.Since is null ? 0 : 1)
            + (spec.Complexity is null ? 0 : 1)
            + (spec.DocFlags.Length == 0 ? 0 : 1)
            + (spec.DeprecatedSince is null ? 0 : 1)
            + (spec.ReplacedBy is null ? 0 : 1)
            + (spec.History.Length == 0 ? 0 : 1)
            + (spec.Arguments.Length == 0 ? 0 : 1)
            + (entry.HasSubcommands ? 1 : 0);
        writer.WriteMapHeader(fields);
        WriteOptionalField(writer, "summary", spec.Summary);
        WriteOptionalField(writer, "since", spec.Since);
        writer.WriteBulkString("group");
        writer.WriteBulkString(spec.Group);
        WriteOptionalField(writer, "complexity", spec.Complexity);
        if (spec.DocFlags.Length > 0)
        {
            writer.WriteBulkString("doc_flags");
            WriteStatusSet(writer, spec.DocFlags);
        }
        WriteOptionalField(writer, "deprecated_since", spec.DeprecatedSince);
        WriteOptionalField(writer, "replaced_by", spec.ReplacedBy);
        if (spec.History.Length > 0)
        {
            writer.WriteBulkString("history");
            writer.WriteSetHeader(spec.History.Length);
            foreach (var change in spec.History)
            {
                writer.WriteArrayHeader(2);
                writer.WriteBulkString(change.Since);
                writer.WriteBulkString(change.Change);
            }
        }
        if (spec.Arguments.Length > 0)
        {
            writer.WriteBulkString("arguments");
            WriteArguments(writer, spec.Arguments);
        }
        if (entry.HasSubcommands)
        {
            writer.WriteBulkString("subcommands");
            writer.WriteMapHeader(entry.Subcommands.Count);
            foreach (var subcommand in entry.Subcommands)
            {
                writer.WriteBulkString(subcommand.Spec.Name);
                writer.WriteRaw(subcommand.EncodedDocs(writer.IsResp3));
            }
        }
    }

    private static void WriteArguments(RespWriter writer, RespArgumentSpec[] arguments)
    {
        writer.WriteArrayHeader(arguments.Length);
        foreach (var argument in arguments)
        {
            var nested = argument.Type is "oneof" or "block";
            // name, type, and display_text (plain arguments) or arguments (oneof and block).
            var fields = 3
                + (argument.KeySpecIndex >= 0 ? 1 : 0)
                + (argument.Token is null ? 0 : 1)
                + (argument.Summary is null ? 0 : 1)
                + (argument.Since is null ? 0 : 1)
                + (argument.DeprecatedSince is null ? 0 : 1)
                + (argument.Flags.Length == 0 ? 0 : 1);
            writer.WriteMapHeader(fields);
            writer.WriteBulkString("name");
            writer.WriteBulkString(argument.Name);
            writer.WriteBulkString("type");
            writer.WriteBulkString(argument.Type);
            if (!nested)
            {
                writer.WriteBulkString("display_text");
                writer.WriteBulkString(argument.DisplayText ?? argument.Name);
            }
            if (argument.KeySpecIndex >= 0)
            {
                writer.WriteBulkString("key_spec_index");
                writer.WriteInteger(argument.KeySpecIndex);
            }
            WriteOptionalField(writer, "token", argument.Token);
            WriteOptionalField(writer, "summary", argument.Summary);
            WriteOptionalField(writer, "since", argument.Since);
            WriteOptionalField(writer, "deprecated_since", argument.DeprecatedSince);
            if (argument.Flags.Length > 0)
            {
                writer.WriteBulkString("flags");
                WriteStatusSet(writer, argument.Flags);
            }
            if (nested)
            {
                writer.WriteBulkString("arguments");
                WriteArguments(writer, argument.Arguments);
            }
        }
    }

    private static void WriteOptionalField(RespWriter writer, string name, string? value)
    {
        if (value is not null)
        {
            writer.WriteBulkString(name);
            writer.WriteBulkString(value);
        }
    }

    private static void WriteStatusSet(RespWriter writer, string[] values)
    {
        writer.WriteSetHeader(values.Length);
        foreach (var value in values)
        {
            writer.WriteSimpleString(value);
        }
    }
}
