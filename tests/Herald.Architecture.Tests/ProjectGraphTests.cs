using System.Xml.Linq;

namespace Herald.Architecture.Tests;

public sealed class ProjectGraphTests
{
    [Fact]
    public void Reads_the_real_projects_under_src()
    {
        var graph = ProjectGraph.Load(RepositoryLayout.Source);

        Assert.Contains("Herald.Primitives", graph.Projects);
        Assert.Contains("Herald.Storage", graph.Projects);
        Assert.Contains("Herald.Primitives", graph.DirectReferences("Herald.Storage"));
        Assert.Contains(ProjectGraph.AspNetCore, graph.DirectReferences("Herald.Server"));
    }

    [Theory]
    [InlineData("""<Project Sdk="Microsoft.NET.Sdk.Web" />""")]
    [InlineData("""<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><FrameworkReference Include="Microsoft.AspNetCore.App" /></ItemGroup></Project>""")]
    [InlineData("""<Project Sdk="Microsoft.NET.Sdk"><ItemGroup><PackageReference Include="Microsoft.AspNetCore.Http.Abstractions" /></ItemGroup></Project>""")]
    public void Counts_every_way_of_pulling_in_aspnetcore(string project)
    {
        Assert.Contains(ProjectGraph.AspNetCore, ProjectGraph.ReadReferences(XDocument.Parse(project)));
    }

    [Fact]
    public void Names_project_references_by_file_name_whatever_the_path_style()
    {
        var project = XDocument.Parse("""
            <Project Sdk="Microsoft.NET.Sdk">
              <ItemGroup>
                <ProjectReference Include="../Herald.Primitives/Herald.Primitives.csproj" />
                <ProjectReference Include="..\Herald.Storage\Herald.Storage.csproj" />
                <PackageReference Include="Microsoft.Extensions.Logging.Abstractions" />
              </ItemGroup>
            </Project>
            """);

        Assert.Equal(["Herald.Primitives", "Herald.Storage"], ProjectGraph.ReadReferences(project).Order());
    }
}
