namespace Herald.Server;

/// <summary>How console log events are written.</summary>
public enum HeraldLogFormat
{
    /// <summary>One line of text per event.</summary>
    Text,

    /// <summary>One JSON object per line, for log collectors.</summary>
    Json,
}
