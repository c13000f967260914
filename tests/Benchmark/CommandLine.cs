using System.Globalization;

namespace EtcdOrleans.Benchmark;

/// <summary>
/// A small hand-written parser in the style of etcd's cobra flags: one command word,
/// positional arguments, and <c>--flag value</c> / <c>--flag=value</c> options anywhere.
/// Every flag given must be read by the command, otherwise <see cref="EnsureAllUsed"/> fails.
/// </summary>
public sealed class CommandLine
{
    private static readonly HashSet<string> BooleanFlags =
    [
        "precise", "no-progress", "sequential-keys", "target-leader", "prevkv", "help",
    ];

    private readonly Dictionary<string, string> _flags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _used = new(StringComparer.Ordinal);

    private CommandLine(string command, List<string> positional)
    {
        Command = command;
        Positional = positional;
    }

    public string Command { get; }

    public IReadOnlyList<string> Positional { get; }

    public static CommandLine Parse(string[] args)
    {
        string? command = null;
        var positional = new List<string>();
        var flags = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < args.Length; i++)
        {
            var arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2)
            {
                var body = arg[2..];
                var eq = body.IndexOf('=', StringComparison.Ordinal);
                string name;
                string value;
                if (eq >= 0)
                {
                    name = body[..eq];
                    value = body[(eq + 1)..];
                }
                else if (BooleanFlags.Contains(body))
                {
                    name = body;
                    value = "true";
                }
                else if (i + 1 < args.Length)
                {
                    name = body;
                    value = args[++i];
                }
                else
                {
                    throw new UsageException($"flag needs an argument: --{body}");
                }

                flags[name] = value;
            }
            else if (command is null)
            {
                command = arg;
            }
            else
            {
                positional.Add(arg);
            }
        }

        var line = new CommandLine(command ?? string.Empty, positional);
        foreach (var (k, v) in flags)
        {
            line._flags[k] = v;
        }

        return line;
    }

    public string GetString(string name, string defaultValue) =>
        TryGet(name, out var v) ? v : defaultValue;

    public string? GetOptionalString(string name) => TryGet(name, out var v) ? v : null;

    public int GetInt(string name, int defaultValue)
    {
        if (!TryGet(name, out var v))
        {
            return defaultValue;
        }

        return int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"invalid integer for --{name}: {v}");
    }

    /// <summary>An integer flag that must be at least 1.</summary>
    public int GetPositiveInt(string name, int defaultValue)
    {
        var n = GetInt(name, defaultValue);
        return n >= 1 ? n : throw new UsageException($"expected positive --{name}, got ({n})");
    }

    public double GetDouble(string name, double defaultValue)
    {
        if (!TryGet(name, out var v))
        {
            return defaultValue;
        }

        return double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new UsageException($"invalid number for --{name}: {v}");
    }

    public bool GetBool(string name)
    {
        if (!TryGet(name, out var v))
        {
            return false;
        }

        return bool.TryParse(v, out var b) ? b : throw new UsageException($"invalid boolean for --{name}: {v}");
    }

    /// <summary>Fails on any flag that no part of the program asked for (a typo, or a flag of another command).</summary>
    public void EnsureAllUsed()
    {
        foreach (var name in _flags.Keys)
        {
            if (!_used.Contains(name))
            {
                throw new UsageException($"unknown flag for '{Command}': --{name}");
            }
        }
    }

    private bool TryGet(string name, out string value)
    {
        _used.Add(name);
        return _flags.TryGetValue(name, out value!);
    }
}

/// <summary>A command-line mistake: printed with the usage text, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
