using System.Reflection;
using UringScheduler.Operations;

namespace UringScheduler.Diagnostics;

/// <summary>
/// Names the code behind a work item for stall reports: the async method a continuation resumes, the delegate a task or
/// a post runs, the kind of operation whose completion resumes its awaiter. Cold path only; never throws.
/// </summary>
internal static class WorkDescription
{
    public static string Describe(object? callback, object? state)
    {
        try
        {
            return callback switch
            {
                null => "nothing yet in this turn (the loop itself: completions or submission)",
                IoOperation op => $"the continuation of a {op.GetType().Name.Replace("Operation", "", StringComparison.Ordinal)} completion{Resumes(state)}",
                Task task => DescribeTask(task),
                Delegate d => DescribeState(state) ?? DescribeDelegate(d),
                _ => callback.GetType().FullName ?? "unknown work",
            };
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return "unknown work";
        }
    }

    private static string Resumes(object? state) => DescribeState(state) is string s ? $" ({s})" : "";

    // A continuation's state is what names the user's code: the state machine of the async method it resumes, or the
    // Action the await machinery posted.
    private static string? DescribeState(object? state) => state switch
    {
        Task task => DescribeTask(task),
        Delegate d when d.Target is Task box => DescribeTask(box),
        Delegate d => DescribeDelegate(d),
        _ => null,
    };

    private static string DescribeTask(Task task)
    {
        // An async method's task is its state machine box, whose last type argument is the compiler's state machine
        // type "<Method>d__N", nested in the method's class.
        Type type = task.GetType();
        if (type.IsGenericType && type.GetGenericArguments() is { Length: > 0 } arguments && StateMachineName(arguments[^1]) is string method)
        {
            return $"async method {method} (task {task.Id})";
        }

        return task.AsyncState is Delegate d ? $"{DescribeDelegate(d)} (task {task.Id})" : $"task {task.Id}";
    }

    private static string? StateMachineName(Type type)
    {
        if (type.GetCustomAttribute<System.Runtime.CompilerServices.CompilerGeneratedAttribute>() is null || type.Name[0] != '<')
        {
            return null;
        }

        int end = type.Name.LastIndexOf('>');
        return end > 1 ? $"{Owner(type.DeclaringType)}.{type.Name[1..end]}" : null;
    }

    private static string DescribeDelegate(Delegate d) => $"{Owner(d.Method.DeclaringType)}.{d.Method.Name}";

    private static string Owner(Type? type) => type is null ? "?" : (type.FullName ?? type.Name).Replace('+', '.');
}
