using EtcdOrleans.Mvcc;
using static EtcdOrleans.Mvcc.Tests.TestHelpers;

namespace EtcdOrleans.Mvcc.Tests;

public sealed class ModelTests
{
    [Fact]
    public void RevisionBytesSortInRevisionOrder()
    {
        var revisions = new[] { new Revision(1, 0), new Revision(1, 1), new Revision(2, 0), new Revision(255, 7), new Revision(256, 0), new Revision(long.MaxValue, 0) };
        for (var i = 0; i < revisions.Length - 1; i++)
        {
            Assert.True(revisions[i] < revisions[i + 1]);
            Assert.True(KeyBytes.Compare(revisions[i].ToBytes(), revisions[i + 1].ToBytes()) < 0);
        }

        Assert.Equal(new Revision(300, 4), Revision.ReadBigEndian(new Revision(300, 4).ToBytes()));
        Assert.Equal(16, new Revision(1, 1).ToBytes().Length);
    }

    [Fact]
    public void KeysCompareUnsignedLexicographic()
    {
        Assert.True(KeyBytes.Compare(B("a"), B("ab")) < 0);
        Assert.True(KeyBytes.Compare(B("b"), B("ab")) > 0);
        Assert.True(KeyBytes.Compare([0x7f], [0x80]) < 0);
        Assert.True(KeyBytes.Compare([0xff], [0x00, 0x00]) > 0);
        Assert.Equal(0, KeyBytes.Compare(B("x"), B("x")));
    }

    [Fact]
    public void EtcdEndKeyConventions()
    {
        var single = KeyRange.FromEtcd(B("a"), null);
        Assert.True(single.IsSingleKey);
        Assert.True(single.Contains(B("a")));
        Assert.False(single.Contains(B("a\0")));
        Assert.True(KeyRange.FromEtcd(B("a"), []).IsSingleKey);

        var fromKey = KeyRange.FromEtcd(B("b"), [0]);
        Assert.Null(fromKey.End);
        Assert.True(fromKey.Contains(B("zzz")));
        Assert.False(fromKey.Contains(B("a")));

        var everything = KeyRange.FromEtcd([0], [0]);
        Assert.True(everything.Contains([0]));
        Assert.True(everything.Contains([0xff, 0xff]));

        var between = KeyRange.FromEtcd(B("a"), B("c"));
        Assert.True(between.Contains(B("bzz")));
        Assert.False(between.Contains(B("c")));
        Assert.True(KeyRange.FromEtcd(B("c"), B("a")).IsEmpty);
    }

    [Fact]
    public void PrefixRange()
    {
        var prefix = KeyRange.Prefix(B("ab"));
        Assert.Equal(B("ac"), prefix.End);
        Assert.Null(KeyRange.Prefix([0xff, 0xff]).End);
        Assert.Equal(new byte[] { 0x62 }, KeyRange.Prefix([0x61, 0xff]).End);
    }

    [Fact]
    public void Intersect()
    {
        var r = KeyRange.Between(B("b"), B("m")).Intersect(KeyRange.Between(B("a"), B("f")));
        Assert.Equal(B("b"), r.Start);
        Assert.Equal(B("f"), r.End);
        Assert.True(KeyRange.Between(B("a"), B("b")).Intersect(KeyRange.Between(B("c"), null)).IsEmpty);
        Assert.Same(KeyRange.All, KeyRange.All.Intersect(KeyRange.All));
    }

    [Fact]
    public void Crc32CCheckValueAndChaining()
    {
        Assert.Equal(0xE3069283u, Crc32C.Append(0, B("123456789")));
        Assert.Equal(Crc32C.Append(0, B("123456789")), Crc32C.Append(Crc32C.Append(0, B("1234")), B("56789")));
    }

    [Fact]
    public void ErrorTextsAreEtcds()
    {
        Assert.Equal("mvcc: required revision has been compacted", MvccErrors.Message(MvccError.Compacted));
        Assert.Equal("mvcc: required revision is a future revision", MvccErrors.Message(MvccError.FutureRevision));
        Assert.Equal("etcdserver: key not found", MvccErrors.WireMessage(MvccError.KeyNotFound));
        Assert.Equal("etcdserver: requested lease not found", MvccErrors.WireMessage(MvccError.LeaseNotFound));
        Assert.Equal("etcdserver: mvcc: required revision has been compacted", MvccErrors.WireMessage(MvccError.Compacted));
    }

    [Fact]
    public void MvccAssemblyReferencesOnlyTheBcl()
    {
        var references = typeof(MvccStore).Assembly.GetReferencedAssemblies();
        Assert.NotEmpty(references);
        foreach (var reference in references)
        {
            var name = reference.Name!;
            Assert.True(name == "netstandard" || name == "mscorlib" || name.StartsWith("System", StringComparison.Ordinal), $"MVCC references {name}");
        }
    }
}
