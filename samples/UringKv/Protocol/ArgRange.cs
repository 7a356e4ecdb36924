namespace UringKv.Protocol;

/// <summary>Where one argument lies: in the request bytes, or in the parser's scratch buffer (inline requests).</summary>
internal readonly record struct ArgRange(int Start, int Length);
