namespace UringKv.Storage;

/// <summary>SET's NX/XX option.</summary>
internal enum SetCondition
{
    Always,

    /// <summary>NX: only if the key does not exist.</summary>
    IfAbsent,

    /// <summary>XX: only if the key exists.</summary>
    IfPresent,
}
