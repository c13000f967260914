using EtcdOrleans.Raft;

namespace EtcdOrleans.Raft.Tests;

/// <summary>The core is pure: it references nothing but the base class library.</summary>
public sealed class DependencyTests
{
    [Fact]
    public void RaftAssembly_ReferencesOnlyTheBaseClassLibrary()
    {
        var references = typeof(RaftNode).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToArray();
        Assert.NotEmpty(references);
        Assert.All(references, name => Assert.True(
            name.StartsWith("System", StringComparison.Ordinal) || name is "netstandard" or "mscorlib",
            $"unexpected reference {name}"));
        Assert.DoesNotContain(references, name =>
            name.Contains("Orleans", StringComparison.OrdinalIgnoreCase)
            || name.Contains("AspNetCore", StringComparison.OrdinalIgnoreCase)
            || name.Contains("Grpc", StringComparison.OrdinalIgnoreCase));
    }
}
